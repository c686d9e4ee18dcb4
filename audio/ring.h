/* ring.h: a lock-free single-producer / single-consumer ring of floats.
 *
 * One thread writes, one other thread reads, neither ever blocks, locks or
 * allocates: this is what feeds a real-time audio callback. The two
 * positions are C11 atomics on separate cache lines; the producer
 * publishes its writes with a release store that the consumer's acquire
 * load pairs with, and the same the other way for freed space. */
#ifndef DRIFT_AUDIO_RING_H
#define DRIFT_AUDIO_RING_H

#include <stddef.h>

#include "drift.h"

typedef struct drift_ring drift_ring;

/* A ring holding at least `capacity` floats (rounded up to a power of 2). */
drift_status drift_ring_create(drift_ring **out, size_t capacity);
void drift_ring_free(drift_ring *r);
size_t drift_ring_capacity(const drift_ring *r);

/* Producer side: copies up to n floats in; returns how many fitted. */
size_t drift_ring_write(drift_ring *r, const float *src, size_t n);
/* Producer side: floats that can be written now. */
size_t drift_ring_space(const drift_ring *r);

/* Consumer side: copies up to n floats out; returns how many there were. */
size_t drift_ring_read(drift_ring *r, float *dst, size_t n);
/* Consumer side: floats that can be read now. */
size_t drift_ring_available(const drift_ring *r);

#endif
