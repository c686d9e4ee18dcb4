/* test_audio_files.c: reading each container, round trips of every written
 * format, clipping on write, atomic writes, broken files rejected with
 * messages naming them, and resampling that keeps frequency and level. */
#include "drift_audio.h"
#include "testutil.h"

#include <dirent.h>
#include <sndfile.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static const char *fixture(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", test_path("fixtures/audio/"));
    strncat(path, name, sizeof path - strlen(path) - 1);
    return path;
}

static double rms(const float *x, size_t n, size_t stride)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i * stride] * x[i * stride];
    return sqrt(s / n);
}

/* Frequency from upward zero crossings, interpolated, over x[0..n). */
static double frequency(const float *x, size_t n, size_t stride, int rate)
{
    double first = -1, last = -1;
    int count = 0;
    for (size_t i = 1; i < n; i++) {
        float a = x[(i - 1) * stride], b = x[i * stride];
        if (a < 0 && b >= 0) {
            double t = (double)(i - 1) + a / (a - b);
            if (first < 0)
                first = t;
            last = t;
            count++;
        }
    }
    return count > 1 ? (count - 1) * rate / (last - first) : 0;
}

static void test_good_files(void)
{
    const char *names[] = {"good.wav", "good.flac", "good.ogg", "good.aiff"};
    for (int i = 0; i < 4; i++) {
        drift_audio a;
        drift_status s = drift_audio_read(fixture(names[i]), &a);
        CHECK(s == DRIFT_OK, "%s: %s", names[i], drift_last_error());
        if (s)
            continue;
        CHECK(a.channels == 2 && a.rate == 8000 && a.frames == 2000, "%s: %d ch, %d Hz, %zu frames", names[i],
              a.channels, a.rate, a.frames);
        bool lossy = strstr(names[i], ".ogg") != NULL;
        double want = 0.5012 / sqrt(2.0), tol = lossy ? 0.05 : 0.01;
        for (int c = 0; c < 2; c++) {
            double level = rms(a.data + c, a.frames, 2), f = frequency(a.data + c, a.frames, 2, a.rate);
            CHECK(fabs(level / want - 1) < tol, "%s ch %d: rms %g, expected %g", names[i], c, level, want);
            CHECK(fabs(f - (c ? 660.0 : 440.0)) < 1.0, "%s ch %d: frequency %g Hz", names[i], c, f);
        }
        drift_audio_free(&a);
    }
}

static void test_broken_files(void)
{
    const char *names[] = {"truncated.wav", "truncated.flac", "truncated.ogg", "truncated.aiff", "header_only.wav",
                           "empty.wav", "text.wav", "zero_rate.wav", "many_channels.wav", "huge_length.wav",
                           "corrupt.flac", "does_not_exist.wav"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        drift_audio a;
        drift_status s = drift_audio_read(fixture(names[i]), &a);
        CHECK(s == DRIFT_ERR_FORMAT || s == DRIFT_ERR_IO, "%s accepted (%zu frames)", names[i],
              s ? (size_t)0 : a.frames);
        CHECK(s == DRIFT_OK || strstr(drift_last_error(), names[i]), "%s: message does not name the file: %s",
              names[i], drift_last_error());
        if (s == DRIFT_OK)
            drift_audio_free(&a);
        else
            printf("  %-18s -> %s\n", names[i], drift_last_error());
    }
}

static int files_in_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_roundtrip(void)
{
    const struct {
        drift_audio_format fmt;
        const char *ext;
        double tol;
    } cases[] = {{DRIFT_AUDIO_WAV16, "wav", 1.01 / 32768}, {DRIFT_AUDIO_WAV24, "wav", 1.01 / 8388608},
                 {DRIFT_AUDIO_WAV_FLOAT, "wav", 0}, {DRIFT_AUDIO_FLAC16, "flac", 1.01 / 32768},
                 {DRIFT_AUDIO_FLAC24, "flac", 1.01 / 8388608}};
    drift_audio a;
    drift_audio_alloc(&a, 3000, 3, 44100);
    drift_rng r;
    drift_rng_init(&r, 1, 0);
    drift_rng_uniform_fill(&r, a.data, 9000);
    for (size_t i = 0; i < 9000; i++)
        a.data[i] = 1.8f * a.data[i] - 0.9f;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/rt%zu.%s", tmpdir, i, cases[i].ext);
        CHECK(drift_audio_write(path, &a, cases[i].fmt) == DRIFT_OK, "write %s: %s", path, drift_last_error());
        drift_audio b;
        if (drift_audio_read(path, &b) != DRIFT_OK) {
            CHECK(0, "read back %s: %s", path, drift_last_error());
            continue;
        }
        CHECK(b.frames == a.frames && b.channels == 3 && b.rate == 44100, "%s: %zu frames %d ch %d Hz", path,
              b.frames, b.channels, b.rate);
        if (b.frames == a.frames) {
            double e = max_abs_diff(b.data, a.data, 9000);
            CHECK(e <= cases[i].tol, "%s: max error %g > %g", path, e, cases[i].tol);
        }
        drift_audio_free(&b);
    }
    CHECK(files_in_tmpdir() == 5, "temporary files left behind: %d files", files_in_tmpdir());
    drift_audio_free(&a);
}

static void test_clipping_and_atomic(void)
{
    drift_audio a;
    drift_audio_alloc(&a, 6, 1, 8000);
    const float v[6] = {1.5f, -1.5f, 2.0f, -3.0f, 1.0f, -1.0f};
    memcpy(a.data, v, sizeof v);
    const drift_audio_format fmts[] = {DRIFT_AUDIO_WAV16, DRIFT_AUDIO_WAV24, DRIFT_AUDIO_FLAC16};
    for (int f = 0; f < 3; f++) {
        char path[128];
        snprintf(path, sizeof path, "%s/clip%d.%s", tmpdir, f, f == 2 ? "flac" : "wav");
        drift_audio b;
        if (drift_audio_write(path, &a, fmts[f]) || drift_audio_read(path, &b)) {
            CHECK(0, "clip %s: %s", path, drift_last_error());
            continue;
        }
        for (int i = 0; i < 6; i++)
            CHECK(fabsf(b.data[i]) > 0.999f && (b.data[i] > 0) == (v[i] > 0), "%s: %g written as %g (wrapped?)",
                  path, v[i], b.data[i]);
        drift_audio_free(&b);
        remove(path);
    }
    char path[160];
    snprintf(path, sizeof path, "%s/no/such/folder/x.wav", tmpdir);
    CHECK(drift_audio_write(path, &a, DRIFT_AUDIO_WAV16) != DRIFT_OK, "write into a missing folder succeeded");
    snprintf(path, sizeof path, "%s/nan.wav", tmpdir);
    a.data[3] = NAN;
    CHECK(drift_audio_write(path, &a, DRIFT_AUDIO_WAV16) == DRIFT_ERR_NUMERIC && access(path, F_OK) != 0,
          "NaN sample: %s", drift_last_error());
    drift_audio_free(&a);
    drift_audio_alloc(&a, 10, 9, 48000);
    snprintf(path, sizeof path, "%s/nine.flac", tmpdir);
    CHECK(drift_audio_write(path, &a, DRIFT_AUDIO_FLAC16) == DRIFT_ERR_UNSUPPORTED && access(path, F_OK) != 0 &&
          strstr(drift_last_error(), "nine.flac"), "9-channel FLAC: %s", drift_last_error());
    drift_audio_free(&a);
    drift_audio_format fmt;
    CHECK(drift_audio_format_parse("wav24", &fmt) == DRIFT_OK && fmt == DRIFT_AUDIO_WAV24, "parse wav24");
    CHECK(drift_audio_format_parse("mp4", &fmt) == DRIFT_ERR_ARG, "parse mp4");
}

/* MP3 (libsndfile 1.2 decodes it with mpg123): a file that libsndfile's
 * own encoder (LAME) wrote from a 440 Hz tone reads back as that tone. */
static void test_mp3(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/tone.mp3", tmpdir);
    enum { RATE = 44100, LEN = RATE / 2 };
    static float x[LEN];
    for (int i = 0; i < LEN; i++)
        x[i] = (float)(0.5 * sin(2 * M_PI * 440.0 * i / RATE));
    SF_INFO info = {.samplerate = RATE, .channels = 1, .format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    CHECK(f != NULL, "libsndfile cannot write MP3 here: %s", sf_strerror(NULL));
    if (!f)
        return;
    sf_writef_float(f, x, LEN);
    sf_close(f);
    drift_audio a;
    if (drift_audio_read(path, &a) != DRIFT_OK) {
        CHECK(0, "read MP3: %s", drift_last_error());
        return;
    }
    CHECK(a.rate == RATE && a.channels == 1 && a.frames >= LEN - 2048 && a.frames <= LEN + 4096,
          "MP3: %d Hz, %d ch, %zu frames (wrote %d)", a.rate, a.channels, a.frames, LEN);
    size_t lo = a.frames / 4, n = a.frames / 2;
    double hz = frequency(a.data + lo, n, 1, a.rate), level = rms(a.data + lo, n, 1);
    CHECK(fabs(hz - 440.0) < 1.0 && fabs(level / (0.5 / sqrt(2.0)) - 1) < 0.05, "MP3: %g Hz, rms %g", hz, level);
    drift_audio_free(&a);
    remove(path);
}

/* A sine resampled keeps its frequency and level. */
static void check_resample(int from, int to, double hz)
{
    size_t n = (size_t)from; /* one second */
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.7 * sin(2 * M_PI * hz * i / from));
    size_t m = drift_resample_length(n, from, to);
    CHECK(m == (size_t)to, "%d -> %d Hz: %zu frames", from, to, m);
    float *y = malloc(m * sizeof *y);
    CHECK(drift_resample(x, n, 1, from, to, y) == DRIFT_OK, "resample: %s", drift_last_error());
    size_t lo = m / 10, len = m * 8 / 10; /* away from the edges */
    double f = frequency(y + lo, len, 1, to), level = rms(y + lo, len, 1);
    CHECK(fabs(f - hz) < 0.01, "%d -> %d Hz: a %g Hz sine came out at %g Hz", from, to, hz, f);
    CHECK(fabs(level - 0.7 / sqrt(2.0)) < 1e-3, "%d -> %d Hz: rms %g, expected %g", from, to, level, 0.7 / sqrt(2.0));
    /* Time alignment: the resampled sine has the same phase at t = 0.5 s. */
    double want = 0.7 * sin(2 * M_PI * hz * 0.5);
    CHECK(fabs(y[m / 2] - want) < 0.01, "%d -> %d Hz: sample at 0.5 s is %g, expected %g", from, to, y[m / 2], want);
    free(x), free(y);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/drift_audio_test_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        CHECK(0, "cannot create a temporary folder");
        return test_finish("test_audio_files");
    }
    test_good_files();
    test_broken_files();
    test_roundtrip();
    test_clipping_and_atomic();
    test_mp3();
    check_resample(44100, 16000, 1000.0);
    check_resample(22050, 48000, 440.0);
    check_resample(16000, 22050, 3000.0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish("test_audio_files");
}
