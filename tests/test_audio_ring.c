/* test_audio_ring.c: the lock-free SPSC ring: single-thread edge cases and
 * a two-thread stress test (millions of floats in odd-sized chunks through
 * a small ring; order and content checked). */
#include "drift_audio.h"
#include "testutil.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

/* Values cycle through 0..2^24-1, all exact in float. */
#define VALUE(i) ((float)((i) & 0xFFFFFF))

typedef struct stress {
    drift_ring *ring;
    size_t total;
    size_t errors, first_bad;
} stress;

static void *producer(void *arg)
{
    stress *st = arg;
    float buf[300];
    drift_rng r;
    drift_rng_init(&r, 11, 0);
    for (size_t sent = 0; sent < st->total;) {
        size_t n = 1 + drift_rng_below(&r, 300);
        if (n > st->total - sent)
            n = st->total - sent;
        for (size_t k = 0; k < n; k++)
            buf[k] = VALUE(sent + k);
        size_t done = 0;
        while (done < n) {
            size_t w = drift_ring_write(st->ring, buf + done, n - done);
            if (!w)
                sched_yield();
            done += w;
        }
        sent += n;
    }
    return NULL;
}

static void *consumer(void *arg)
{
    stress *st = arg;
    float buf[257];
    drift_rng r;
    drift_rng_init(&r, 12, 0);
    for (size_t got = 0; got < st->total;) {
        size_t n = drift_ring_read(st->ring, buf, 1 + drift_rng_below(&r, 257));
        if (!n)
            sched_yield();
        for (size_t k = 0; k < n; k++)
            if (buf[k] != VALUE(got + k) && st->errors++ == 0)
                st->first_bad = got + k;
        got += n;
    }
    return NULL;
}

static void test_stress(size_t total)
{
    stress st = {.total = total};
    if (drift_ring_create(&st.ring, 1000) != DRIFT_OK) {
        CHECK(0, "create: %s", drift_last_error());
        return;
    }
    CHECK(drift_ring_capacity(st.ring) == 1024, "capacity %zu", drift_ring_capacity(st.ring));
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &st);
    pthread_create(&p, NULL, producer, &st);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    CHECK(st.errors == 0, "%zu floats out of order or corrupt, first at %zu", st.errors, st.first_bad);
    CHECK(drift_ring_available(st.ring) == 0, "ring not empty at the end");
    printf("ring stress: %zu floats through a 1024-float ring, %zu errors\n", total, st.errors);
    drift_ring_free(st.ring);
}

static void test_edges(void)
{
    drift_ring *r;
    CHECK(drift_ring_create(&r, 0) == DRIFT_ERR_ARG, "capacity 0 accepted");
    if (drift_ring_create(&r, 8) != DRIFT_OK)
        return;
    float in[12], out[12];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i;
    CHECK(drift_ring_read(r, out, 4) == 0, "read from an empty ring");
    CHECK(drift_ring_write(r, in, 12) == 8 && drift_ring_space(r) == 0, "write past capacity");
    CHECK(drift_ring_read(r, out, 5) == 5 && out[4] == 4.0f, "partial read");
    CHECK(drift_ring_write(r, in + 8, 4) == 4, "write wrapping around the end");
    CHECK(drift_ring_available(r) == 7 && drift_ring_read(r, out, 12) == 7, "read across the wrap");
    for (int i = 0; i < 7; i++)
        CHECK(out[i] == (float)(i + 5), "item %d is %g", i, out[i]);
    drift_ring_free(r);
}

int main(void)
{
    test_edges();
    test_stress(getenv("DRIFT_TEST_LIGHT") ? 2000000 : 20000000);
    return test_finish("test_audio_ring");
}
