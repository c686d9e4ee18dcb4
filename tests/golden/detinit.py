"""Deterministic pseudo-random values that C can reproduce exactly, so that
golden tests of whole networks need not store millions of weights.

value(name, i) = (fmix32(fnv1a(name) ^ (i * 0x9E3779B1)) / 2^32 * 2 - 1),
computed with 32-bit wrap-around; tests/detinit.h is the C twin.
"""
import numpy as np


def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def uniform(name, n):
    i = np.arange(n, dtype=np.uint64)
    h = (np.uint64(fnv1a(name)) ^ ((i * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)))
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(16)
    return h.astype(np.float64) / 4294967296.0 * 2.0 - 1.0


def param_values(name, shape):
    """The value a golden test gives parameter `name` of `shape`."""
    n = int(np.prod(shape))
    u = uniform(name, n)
    if "norm" in name:
        v = (1.0 if name.endswith(".weight") else 0.0) + 0.1 * u
    elif len(shape) >= 2 and "emb" not in name:
        v = u / np.sqrt(n / shape[0])
    elif "emb" in name:
        v = u
    else:
        v = 0.1 * u
    return v.astype(np.float32).reshape(shape)
