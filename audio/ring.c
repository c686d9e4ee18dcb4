/* ring.c: lock-free single-producer / single-consumer ring (see ring.h). */
#include "ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct drift_ring {
    float *buf;
    size_t mask;                     /* capacity - 1 */
    alignas(64) atomic_size_t head;  /* total floats written; producer owns */
    alignas(64) atomic_size_t tail;  /* total floats read; consumer owns */
};

drift_status drift_ring_create(drift_ring **out, size_t capacity)
{
    *out = NULL;
    if (capacity == 0 || capacity > ((size_t)1 << 40))
        return drift_fail(DRIFT_ERR_ARG, "ring capacity must be in [1, 2^40] floats, got %zu", capacity);
    size_t cap = 1;
    while (cap < capacity)
        cap <<= 1;
    drift_ring *r = aligned_alloc(64, (sizeof *r + 63) / 64 * 64);
    if (!r)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a ring of %zu floats", cap);
    r->buf = malloc(cap * sizeof *r->buf);
    if (!r->buf) {
        free(r);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a ring of %zu floats", cap);
    }
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    *out = r;
    return DRIFT_OK;
}

void drift_ring_free(drift_ring *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

size_t drift_ring_capacity(const drift_ring *r) { return r->mask + 1; }

size_t drift_ring_space(const drift_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    return r->mask + 1 - (head - tail);
}

size_t drift_ring_available(const drift_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    return head - tail;
}

/* Copies n floats between a linear buffer and the ring at position pos,
 * wrapping at the end of the ring. */
static void copy_in(drift_ring *r, size_t pos, const float *src, size_t n)
{
    size_t at = pos & r->mask, first = r->mask + 1 - at;
    if (first > n)
        first = n;
    memcpy(r->buf + at, src, first * sizeof *src);
    memcpy(r->buf, src + first, (n - first) * sizeof *src);
}

static void copy_out(const drift_ring *r, size_t pos, float *dst, size_t n)
{
    size_t at = pos & r->mask, first = r->mask + 1 - at;
    if (first > n)
        first = n;
    memcpy(dst, r->buf + at, first * sizeof *dst);
    memcpy(dst + first, r->buf, (n - first) * sizeof *dst);
}

size_t drift_ring_write(drift_ring *r, const float *src, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t space = drift_ring_space(r);
    if (n > space)
        n = space;
    if (n) {
        copy_in(r, head, src, n);
        atomic_store_explicit(&r->head, head + n, memory_order_release);
    }
    return n;
}

size_t drift_ring_read(drift_ring *r, float *dst, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t avail = drift_ring_available(r);
    if (n > avail)
        n = avail;
    if (n) {
        copy_out(r, tail, dst, n);
        atomic_store_explicit(&r->tail, tail + n, memory_order_release);
    }
    return n;
}
