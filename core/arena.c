/* arena.c: see arena.h. */
#include "arena.h"
#include "status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64
#define ARENA_MIN_BLOCK (1u << 20)

struct drift_arena_block {
    drift_arena_block *next;
    size_t size, used;
    unsigned char *mem;
};

void drift_arena_init(drift_arena *a) { memset(a, 0, sizeof *a); }

static void free_blocks(drift_arena_block *b)
{
    while (b) {
        drift_arena_block *next = b->next;
        free(b->mem);
        free(b);
        b = next;
    }
}

void drift_arena_free(drift_arena *a)
{
    free_blocks(a->head);
    memset(a, 0, sizeof *a);
}

static drift_arena_block *new_block(drift_arena *a, size_t size)
{
    drift_arena_block *b = malloc(sizeof *b);
    void *mem = NULL;
    if (!b || posix_memalign(&mem, ARENA_ALIGN, size) != 0) {
        free(b);
        drift_fail(DRIFT_ERR_NOMEM, "out of memory allocating %zu bytes", size);
        return NULL;
    }
    a->system_allocs++;
    b->mem = mem;
    b->size = size;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    return b;
}

void *drift_arena_alloc(drift_arena *a, size_t bytes)
{
    size_t need = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    drift_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > ARENA_MIN_BLOCK ? need : ARENA_MIN_BLOCK;
        if (b && size < b->size)
            size = b->size; /* grow geometrically-ish: never smaller than the last */
        b = new_block(a, size);
        if (!b)
            return NULL;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->used_total += need;
    if (a->used_total > a->high_water)
        a->high_water = a->used_total;
    return p;
}

void drift_arena_reset(drift_arena *a)
{
    drift_arena_block *b = a->head;
    if (b && b->next) {
        /* Several blocks: replace them with one that holds the high water. */
        size_t total = a->high_water + ARENA_ALIGN;
        free_blocks(a->head);
        a->head = NULL;
        new_block(a, total); /* on failure the arena simply starts empty */
    } else if (b) {
        b->used = 0;
    }
    a->used_total = 0;
}
