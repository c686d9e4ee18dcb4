/* detinit.h: the C twin of tests/golden/detinit.py: pseudo-random values
 * both sides compute exactly, so whole-network golden tests need not store
 * the network's weights. */
#ifndef DRIFT_DETINIT_H
#define DRIFT_DETINIT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "drift.h"

static inline uint32_t detinit_fnv1a(const char *s)
{
    uint32_t h = 0x811C9DC5u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x01000193u;
    return h;
}

static inline double detinit_uniform(uint32_t name_hash, uint64_t i)
{
    uint32_t h = name_hash ^ (uint32_t)(i * 0x9E3779B1u);
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return (double)h / 4294967296.0 * 2.0 - 1.0;
}

/* Fills t as tests/golden/detinit.py's param_values(name, shape). */
static inline void detinit_param(drift_tensor *t, const char *name)
{
    uint32_t h = detinit_fnv1a(name);
    size_t len = strlen(name);
    bool is_norm = strstr(name, "norm") != NULL, is_emb = strstr(name, "emb") != NULL;
    bool is_weight = len >= 7 && strcmp(name + len - 7, ".weight") == 0;
    double fan_in = (double)t->numel / t->shape[0];
    for (size_t i = 0; i < t->numel; i++) {
        double u = detinit_uniform(h, i), v;
        if (is_norm)
            v = (is_weight ? 1.0 : 0.0) + 0.1 * u;
        else if (t->ndim >= 2 && !is_emb)
            v = u / sqrt(fan_in);
        else if (is_emb)
            v = u;
        else
            v = 0.1 * u;
        t->data[i] = (float)v;
    }
}

#endif
