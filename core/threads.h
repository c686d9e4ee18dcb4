/* threads.h: drift's worker threads and its one thread count.
 *
 * drift_set_threads(n) sets how many cores drift uses: its own parallel
 * loops and OpenBLAS both get n, and they never run at the same time (a
 * parallel loop's body must not call BLAS), so the cores are never
 * oversubscribed. Loops split work into fixed contiguous ranges, so results
 * do not depend on timing. */
#ifndef DRIFT_THREADS_H
#define DRIFT_THREADS_H

#include <stddef.h>

/* n <= 0 means "all cores". Applies to BLAS too. */
void drift_set_threads(int n);
int drift_get_threads(void);
int drift_cpu_count(void);

/* Runs fn(ctx, begin, end) over [0, n) split into at most drift_get_threads()
 * contiguous ranges of at least `grain` items each. Returns when all are
 * done. Safe to call from several threads: a caller that finds the pool
 * busy runs its loop on its own thread. */
typedef void (*drift_range_fn)(void *ctx, size_t begin, size_t end);
void drift_parallel_for(size_t n, size_t grain, drift_range_fn fn, void *ctx);

/* memset(p, 0, bytes), split over the threads when it is big enough to
 * be worth it. */
void drift_parallel_zero(void *p, size_t bytes);

#endif
