/* threads.c: a small persistent thread pool (see threads.h). */
#include "threads.h"
#include "blas.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 64

static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER; /* one loop at a time */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
static pthread_t workers[MAX_WORKERS];
static int n_workers;        /* threads started (they never exit) */
static int thread_count;     /* 0 until first use: then the cpu count */
static unsigned long generation;
static int pending;          /* ranges not yet finished in this generation */

static struct {
    drift_range_fn fn;
    void *ctx;
    size_t n, chunk;
    int parts;
} job;

int drift_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > MAX_WORKERS ? MAX_WORKERS : (int)n);
}

void drift_set_threads(int n)
{
    if (n <= 0)
        n = drift_cpu_count();
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    pthread_mutex_lock(&pool_busy);
    thread_count = n;
    pthread_mutex_unlock(&pool_busy);
    drift_blas_set_threads(n);
}

int drift_get_threads(void)
{
    if (thread_count == 0)
        return drift_cpu_count();
    return thread_count;
}

static void run_part(int part)
{
    size_t begin = (size_t)part * job.chunk;
    size_t end = begin + job.chunk < job.n ? begin + job.chunk : job.n;
    if (begin < end)
        job.fn(job.ctx, begin, end);
}

static void *worker_main(void *arg)
{
    int id = (int)(size_t)arg; /* worker id >= 1: part 0 is the caller's */
    unsigned long seen = 0;
    pthread_mutex_lock(&pool_lock);
    for (;;) {
        while (generation == seen)
            pthread_cond_wait(&work_ready, &pool_lock);
        seen = generation;
        if (id >= job.parts)
            continue;
        pthread_mutex_unlock(&pool_lock);
        run_part(id);
        pthread_mutex_lock(&pool_lock);
        if (--pending == 0)
            pthread_cond_signal(&work_done);
    }
    return NULL;
}

/* A forked child has none of the parent's threads: start again empty. */
static void reset_after_fork(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    pool_busy = fresh;
    pool_lock = fresh;
    work_ready = fresh_cond;
    work_done = fresh_cond;
    n_workers = 0;
    pending = 0;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void install_atfork(void) { pthread_atfork(NULL, NULL, reset_after_fork); }

static bool ensure_workers(int want)
{
    pthread_once(&atfork_once, install_atfork);
    while (n_workers < want) {
        if (pthread_create(&workers[n_workers], NULL, worker_main, (void *)(size_t)(n_workers + 1)) != 0)
            return false;
        pthread_detach(workers[n_workers]);
        n_workers++;
    }
    return true;
}

void drift_parallel_for(size_t n, size_t grain, drift_range_fn fn, void *ctx)
{
    if (n == 0)
        return;
    if (grain == 0)
        grain = 1;
    int threads = drift_get_threads();
    size_t max_parts = (n + grain - 1) / grain;
    int parts = max_parts < (size_t)threads ? (int)max_parts : threads;
    if (parts <= 1 || pthread_mutex_trylock(&pool_busy) != 0) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    if (!ensure_workers(parts - 1)) {
        pthread_mutex_unlock(&pool_lock);
        pthread_mutex_unlock(&pool_busy);
        fn(ctx, 0, n);
        return;
    }
    job.fn = fn;
    job.ctx = ctx;
    job.n = n;
    job.chunk = (n + (size_t)parts - 1) / (size_t)parts;
    job.parts = parts;
    pending = parts - 1;
    generation++;
    pthread_cond_broadcast(&work_ready);
    pthread_mutex_unlock(&pool_lock);

    run_part(0);

    pthread_mutex_lock(&pool_lock);
    while (pending > 0)
        pthread_cond_wait(&work_done, &pool_lock);
    pthread_mutex_unlock(&pool_lock);
    pthread_mutex_unlock(&pool_busy);
}

static void zero_range(void *ctx, size_t begin, size_t end)
{
    memset((char *)ctx + begin, 0, end - begin);
}

void drift_parallel_zero(void *p, size_t bytes)
{
    drift_parallel_for(bytes, (size_t)1 << 16, zero_range, p);
}
