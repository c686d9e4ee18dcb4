/* arena.h: bump allocation for tensors and saved values.
 *
 * A graph or a model owns an arena. Allocations live until the arena is
 * reset. The first pass through a step grows the arena; a reset then
 * merges its blocks into one, so every later step of the same shape
 * allocates nothing from the system. */
#ifndef DRIFT_ARENA_H
#define DRIFT_ARENA_H

#include <stddef.h>

typedef struct drift_arena_block drift_arena_block;

typedef struct drift_arena {
    drift_arena_block *head;  /* newest block first */
    size_t used_total;        /* bytes handed out since the last reset */
    size_t high_water;        /* most bytes ever handed out between resets */
    size_t system_allocs;     /* malloc calls made, for the no-malloc tests */
} drift_arena;

void drift_arena_init(drift_arena *a);
void drift_arena_free(drift_arena *a);

/* 64-byte aligned, uninitialised; NULL (with a message) when out of memory. */
void *drift_arena_alloc(drift_arena *a, size_t bytes);

/* Forget every allocation; keep (and coalesce) the memory. */
void drift_arena_reset(drift_arena *a);

#endif
