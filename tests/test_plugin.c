/* test_plugin.c: drift.lv2 loaded by URI from the built bundle through a
 * lilv host of our own (lv2host.c), with the worker and state features.
 *
 * The instrument plays a sound model built here whose output is known
 * without training: an x0-predicting U-Net whose last convolution has zero
 * weights, so every sample is its bias, a log-mel spectrogram that is
 * loud in one band and silent elsewhere. The generated one-shot is then a
 * narrow band of noise around that band's frequency (Griffin-Lim phases
 * depend on the seed), and its spectral centroid is its pitch.
 *
 * Checks: pitch (the base note plays the model's sound at its own pitch,
 * an octave up doubles and an octave down halves the centroid), level
 * (velocity 50 vs 100 halves the RMS), no clicks on note-off or voice
 * steal, offline determinism, state save -> new instance -> restore gives
 * identical audio (and a fresh instance with other settings does not),
 * the model swapped through patch:Set, no allocation in run() or
 * work_response() on a live host with a threaded worker while notes play
 * and sounds are generated ahead, run()'s worst time per 256-frame block;
 * the texture effect's latency, reconstruction and determinism.
 *
 * `test_plugin --make-model PATH [BAND]` only writes such a model (for the
 * shell tests). */
#include "drift.h"
#include "drift_audio.h"
#include "sound.h"
#include "lv2host.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INSTRUMENT "https://drift.invalid/plugins/drift#instrument"
#define TEXTURE "https://drift.invalid/plugins/drift#texture"
#define MODEL_PARAM "https://drift.invalid/plugins/drift#model"
#define RATE 48000.0
#define BLOCK 256

static char tmpdir[256];
static bool light;

static const char *tmp(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static drift_sound_params test_params(void)
{
    drift_sound_params p;
    drift_sound_params_default(&p);
    p.sample_rate = 16000;
    p.n_fft = 256;
    p.hop = 64;
    p.n_mels = 32;
    p.frames = 64;
    p.fmin = 0;
    p.fmax = 8000;
    p.griffin_lim_iters = 16;
    p.base_note = 60;
    return p;
}

/* A sound model whose every sample is loud in mel band `band` only. */
static bool make_model(const char *path, int band)
{
    drift_sound_params sp = test_params();
    drift_unet_config u;
    test_tiny_unet(&u, 1, sp.n_mels, 16);
    drift_model_config c = drift_model_config_default(&u);
    c.prediction = DRIFT_PRED_X0;
    c.task_json = drift_sound_params_to_json(&sp);
    drift_model *m = NULL;
    bool ok = drift_model_create(&c, 1, &m) == DRIFT_OK;
    free(c.task_json);
    CHECK(ok, "model: %s", drift_last_error());
    if (!ok)
        return false;
    drift_params *ps = drift_unet_params(m->net);
    drift_tensor *w = drift_params_find(ps, "conv_out.weight"), *b = drift_params_find(ps, "conv_out.bias");
    CHECK(w && b, "conv_out parameters found");
    if (w && b) {
        drift_params_init_constant(w, 0.0f);
        drift_params_init_constant(b, -1.0f);
        b->data[band] = 1.0f;
        ok = drift_model_save(m, path, DRIFT_ST_F32) == DRIFT_OK;
        CHECK(ok, "save: %s", drift_last_error());
    }
    drift_model_free(m);
    return ok && w && b;
}

/* Spectral centroid in Hz of x (n) at rate. */
static double centroid(const float *x, size_t n, double rate)
{
    drift_stft_config sc = {1024, 256, 0, DRIFT_WINDOW_HANN, false};
    drift_stft *st = NULL;
    if (drift_stft_create(&st, &sc) != DRIFT_OK)
        return NAN;
    size_t frames = drift_stft_frames(st, n);
    int bins = drift_stft_bins(st);
    float *mag = malloc(frames * bins * sizeof *mag);
    drift_stft_magnitude(st, x, n, 2.0f, mag);
    double num = 0, den = 0;
    for (size_t t = 0; t < frames; t++)
        for (int k = 0; k < bins; k++) {
            num += mag[t * bins + k] * (k * rate / 1024.0);
            den += mag[t * bins + k];
        }
    free(mag);
    drift_stft_free(st);
    return den > 0 ? num / den : NAN;
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)(n ? n : 1));
}

static float max_step(const float *x, size_t from, size_t to)
{
    float m = 0;
    for (size_t i = from + 1; i < to; i++)
        m = fmaxf(m, fabsf(x[i] - x[i - 1]));
    return m;
}

/* A scripted note: at frame `on` (status 0x90) and off at `off` (0 = never). */
typedef struct {
    size_t on, off;
    int note, velocity;
} note_ev;

/* Runs `frames` frames of the notes through h into out (frames). */
static void play(lv2host *h, const note_ev *notes, int n, float *out, size_t frames)
{
    for (size_t at = 0; at < frames; at += BLOCK) {
        uint32_t len = (uint32_t)(frames - at < BLOCK ? frames - at : BLOCK);
        for (int i = 0; i < n; i++) {
            if (notes[i].on >= at && notes[i].on < at + len)
                lv2host_midi(h, (uint32_t)(notes[i].on - at), 0x90, (uint8_t)notes[i].note, (uint8_t)notes[i].velocity);
            if (notes[i].off && notes[i].off >= at && notes[i].off < at + len)
                lv2host_midi(h, (uint32_t)(notes[i].off - at), 0x80, (uint8_t)notes[i].note, 0);
        }
        lv2host_run(h, len, out + at, NULL);
    }
}

static lv2host *instrument_with(const char *model, bool live, lv2host_worker_mode mode)
{
    lv2host *h = lv2host_new(INSTRUMENT, RATE, live, mode);
    CHECK(h != NULL, "instrument instantiates from LV2_PATH");
    if (!h)
        return NULL;
    lv2host_set_path(h, 0, MODEL_PARAM, model);
    lv2host_run(h, BLOCK, NULL, NULL);
    CHECK(lv2host_settle(h, BLOCK, 60), "worker settles");
    CHECK(lv2host_get_control(h, "status") == 2, "model ready (status %g)", lv2host_get_control(h, "status"));
    return h;
}

/* The pitch of the model's own sound, generated directly. */
static double model_centroid(const char *path)
{
    drift_model *m = NULL;
    if (drift_model_load(path, &m) != DRIFT_OK)
        return NAN;
    drift_sound_request rq;
    drift_sound_request_defaults(&rq);
    rq.steps = 4;
    float *audio = NULL;
    size_t n = 0;
    double c = NAN;
    if (drift_sound_generate(m, &rq, &audio, &n) == DRIFT_OK)
        c = centroid(audio, n, 16000);
    CHECK(audio != NULL, "direct generation: %s", drift_last_error());
    free(audio);
    drift_model_free(m);
    return c;
}

static void test_pitch_and_level(const char *model)
{
    double f_model = model_centroid(model);
    lv2host *h = instrument_with(model, false, LV2HOST_WORKER_SYNC);
    if (!h)
        return;
    lv2host_set_control(h, "steps", 4);
    const size_t seg = 24000; /* 0.5 s per note, notes back to back */
    note_ev notes[4] = {{0, seg - 2000, 60, 100}, {seg, 2 * seg - 2000, 72, 100},
                        {2 * seg, 3 * seg - 2000, 48, 100}, {3 * seg, 4 * seg - 2000, 60, 50}};
    float *out = calloc(4 * seg, sizeof *out);
    play(h, notes, 4, out, 4 * seg);
    /* Measure each note over its first 0.2 s (the 60s last 0.25 s). */
    size_t len = 9600;
    double c60 = centroid(out, len, RATE), c72 = centroid(out + seg, len, RATE);
    double c48 = centroid(out + 2 * seg, len, RATE);
    printf("pitch: model sound %.1f Hz; note 60 %.1f Hz, 72 %.1f Hz, 48 %.1f Hz\n", f_model, c60, c72, c48);
    CHECK(fabs(c60 / f_model - 1) < 0.03, "base note plays the model's pitch: %.1f vs %.1f Hz", c60, f_model);
    CHECK(fabs(c72 / c60 - 2) < 0.06, "an octave up doubles the frequency: ratio %.3f", c72 / c60);
    CHECK(fabs(c48 / c60 - 0.5) < 0.015, "an octave down halves it: ratio %.3f", c48 / c60);
    double r100 = rms(out, len), r50 = rms(out + 3 * seg, len);
    printf("level: rms velocity 100 %.4f, velocity 50 %.4f (ratio %.4f)\n", r100, r50, r50 / r100);
    CHECK(r100 > 1e-3, "the note is audible (rms %g)", r100);
    CHECK(fabs(r50 / r100 - 0.5) < 0.01, "velocity 50 is half the level of 100: %.4f", r50 / r100);
    free(out);
    lv2host_free(h);
}

/* Note-off and voice stealing fade instead of cutting. */
static void test_no_clicks(const char *model)
{
    lv2host *h = instrument_with(model, false, LV2HOST_WORKER_SYNC);
    if (!h)
        return;
    lv2host_set_control(h, "steps", 4);
    lv2host_set_control(h, "release", 0.005f);
    const size_t off = 4800, n = 9600, ms10 = 480;
    note_ev one = {0, off, 48, 127};
    float *out = calloc(n, sizeof *out);
    play(h, &one, 1, out, n);
    float before = max_step(out, off - ms10, off), after = max_step(out, off, off + ms10);
    CHECK(rms(out + off + ms10, ms10) < 1e-6, "silent 10 ms after a 5 ms release");
    CHECK(after <= 1.5f * before, "note-off does not click: step %.4f after, %.4f before", after, before);

    /* 16 notes at once, the first loud; the 17th steals the loud one. */
    note_ev many[17];
    for (int i = 0; i < 16; i++)
        many[i] = (note_ev){(size_t)i, 0, 48, i == 0 ? 127 : 1};
    many[16] = (note_ev){off, 0, 48, 1};
    memset(out, 0, n * sizeof *out);
    lv2host_set_control(h, "release", 0.3f);
    play(h, many, 17, out, n);
    before = max_step(out, off - ms10, off);
    after = max_step(out, off, off + ms10);
    printf("voice steal: largest step %.4f after, %.4f before\n", after, before);
    CHECK(rms(out + off + ms10, ms10) < 0.2 * rms(out + off - ms10, ms10), "the stolen voice is gone");
    CHECK(after <= 1.5f * before, "stealing does not click: step %.4f after, %.4f before", after, before);
    free(out);
    lv2host_free(h);
}

static const note_ev song[] = {{0, 6000, 60, 100}, {3000, 12000, 64, 90}, {9000, 20000, 67, 80},
                               {15000, 30000, 72, 110}, {24000, 36000, 55, 70}, {30000, 40000, 60, 100}};
#define SONG_FRAMES 48000

static void render_song(lv2host *h, float *out)
{
    memset(out, 0, SONG_FRAMES * sizeof *out);
    play(h, song, (int)(sizeof song / sizeof *song), out, SONG_FRAMES);
}

static void test_state_and_determinism(const char *model)
{
    float *a = malloc(SONG_FRAMES * sizeof *a), *b = malloc(SONG_FRAMES * sizeof *b);
    float *c = malloc(SONG_FRAMES * sizeof *c);
    lv2host *h = instrument_with(model, false, LV2HOST_WORKER_SYNC);
    if (!h)
        goto done;
    lv2host_set_control(h, "seed", 1234);
    lv2host_set_control(h, "variation", 1);
    lv2host_set_control(h, "steps", 3);
    lv2host_set_control(h, "gain", -3);
    CHECK(lv2host_save_state(h, tmp("state")), "state saved");
    render_song(h, a);
    CHECK(rms(a, SONG_FRAMES) > 1e-3, "the song is audible");
    lv2host_free(h);

    /* A new instance restored from the saved state plays the same. */
    h = lv2host_new(INSTRUMENT, RATE, false, LV2HOST_WORKER_SYNC);
    CHECK(h && lv2host_restore_state(h, tmp("state")), "state restored");
    if (!h)
        goto done;
    CHECK(lv2host_get_control(h, "seed") == 1234, "seed restored: %g", lv2host_get_control(h, "seed"));
    render_song(h, b);
    CHECK(max_abs_diff(a, b, SONG_FRAMES) == 0, "restored instance is identical: %g", max_abs_diff(a, b, SONG_FRAMES));
    lv2host_free(h);

    /* An export while a slow worker is still generating ahead (offline,
     * worker on its own thread) plays every note's own sound: the same. */
    h = instrument_with(model, false, LV2HOST_WORKER_THREAD);
    if (!h)
        goto done;
    lv2host_set_worker_delay(h, 0.05);
    lv2host_set_control(h, "seed", 1234);
    lv2host_set_control(h, "variation", 1);
    lv2host_set_control(h, "steps", 3);
    lv2host_set_control(h, "gain", -3);
    render_song(h, b);
    CHECK(max_abs_diff(a, b, SONG_FRAMES) == 0, "offline with a slow threaded worker is identical: %g",
          max_abs_diff(a, b, SONG_FRAMES));
    CHECK(lv2host_settle(h, BLOCK, 60), "the slow worker finishes its queue"); /* its requests hold the model */
    lv2host_free(h);

    /* The same model with the default seed plays something else. */
    h = instrument_with(model, false, LV2HOST_WORKER_SYNC);
    if (!h)
        goto done;
    lv2host_set_control(h, "variation", 1);
    lv2host_set_control(h, "steps", 3);
    lv2host_set_control(h, "gain", -3);
    render_song(h, c);
    CHECK(max_abs_diff(a, c, SONG_FRAMES) > 1e-3, "another seed gives other audio");
    lv2host_free(h);
done:
    free(a), free(b), free(c);
}

/* Live host, worker on its own thread: no allocation in run(), short runs,
 * and the model swapped by patch:Set. */
static void test_realtime(const char *model, const char *model2)
{
    lv2host *h = instrument_with(model, true, LV2HOST_WORKER_THREAD);
    if (!h)
        return;
    lv2host_set_control(h, "steps", 4);
    lv2host_set_control(h, "variation", 1);
    CHECK(lv2host_settle(h, BLOCK, 60), "generation ahead finishes");
    CHECK(lv2host_get_control(h, "ready") >= 1, "sounds ready ahead of notes: %g", lv2host_get_control(h, "ready"));
    lv2host_reset_stats(h);
    int blocks = light ? 300 : 800;
    float out[BLOCK];
    int notes_on = 0;
    double sum = 0;
    for (int b = 0; b < blocks; b++) {
        if (b % 3 == 0) { /* a dense stream of notes: polyphony runs out */
            int note = 40 + (b * 7) % 40;
            lv2host_midi(h, (uint32_t)(b % BLOCK), 0x90, (uint8_t)note, 100);
            notes_on++;
        }
        if (b % 5 == 0)
            lv2host_midi(h, 10, 0x80, (uint8_t)(40 + ((b - 30) * 7 % 40 + 40) % 40), 0);
        if (b == blocks / 2)
            lv2host_set_control(h, "seed", 99); /* new settings: regeneration in the background */
        lv2host_run(h, BLOCK, out, NULL);
        sum += rms(out, BLOCK);
    }
    double worst = lv2host_worst_run_seconds(h), block = BLOCK / RATE;
    long allocs = lv2host_run_allocations(h);
    printf("real time: %d blocks, %d notes, %ld allocations in run()/work_response(); worst run() %.1f us "
           "for a %.0f us block (%.1f%%)\n", blocks, notes_on, allocs, worst * 1e6, block * 1e6, 100 * worst / block);
    CHECK(sum > 0, "notes sounded on the live host");
    long self = lv2host_counter_self_test();
    CHECK(self >= 2, "the allocation counter sees malloc and free: %ld", self);
    CHECK(allocs == 0, "no allocation in run(): %ld", allocs);
    CHECK(worst < 0.5 * block, "worst run() %.1f us is far below the %.0f us block", worst * 1e6, block * 1e6);

    /* Swap the model: the new one's (higher) band plays afterwards. */
    lv2host_set_path(h, 0, MODEL_PARAM, model2);
    lv2host_run(h, BLOCK, NULL, NULL);
    CHECK(lv2host_settle(h, BLOCK, 60), "the swap settles");
    lv2host_set_control(h, "variation", 0);
    note_ev n = {0, 0, 60, 100};
    float *seg = calloc(9600, sizeof *seg);
    lv2host_midi(h, 0, 0xB0, 120, 0); /* all sound off: the stream's voices end */
    for (int b = 0; b < 50; b++)
        lv2host_run(h, BLOCK, NULL, NULL);
    CHECK(lv2host_settle(h, BLOCK, 60), "regeneration settles");
    play(h, &n, 1, seg, 9600);
    double got = centroid(seg, 9600, RATE), want = model_centroid(model2);
    CHECK(fabs(got / want - 1) < 0.03, "after the swap the new model plays: %.1f Hz vs %.1f Hz", got, want);
    free(seg);
    lv2host_free(h);
}

static void test_texture(void)
{
    const size_t n = 48000;
    float *x = malloc(n * sizeof *x), *y = calloc(n, sizeof *y), *z = calloc(n, sizeof *z);
    drift_rng r;
    drift_rng_init(&r, 5, 0);
    drift_rng_normal(&r, x, n);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.2f * x[i] + 0.3f * sinf(2 * (float)M_PI * 440 * (float)i / 48000);
    for (int pass = 0; pass < 3; pass++) {
        lv2host *h = lv2host_new(TEXTURE, RATE, false, LV2HOST_WORKER_SYNC);
        CHECK(h != NULL, "texture instantiates");
        if (!h)
            break;
        lv2host_set_control(h, "amount", pass == 0 ? 0.0f : 0.7f);
        lv2host_set_control(h, "smear", pass == 0 ? 0.0f : 0.5f);
        float *out = pass == 2 ? z : y;
        /* The host's audio input is the first audio port: feed through a
         * per-block copy (lv2host connects its own buffers). */
        for (size_t at = 0; at < n; at += BLOCK)
            lv2host_run_with_input(h, x + at, (uint32_t)(n - at < BLOCK ? n - at : BLOCK), out + at);
        int latency = (int)lv2host_get_control(h, "latency");
        if (pass == 0) {
            CHECK(latency == 1024, "latency reported: %d", latency);
            CHECK(max_abs_diff(y + latency, x, n - latency) < 1e-5, "amount 0: the input delayed by the latency, "
                  "error %g", max_abs_diff(y + latency, x, n - latency));
        }
        lv2host_free(h);
    }
    CHECK(max_abs_diff(y, z, n) == 0, "the effect is deterministic");
    double rx = rms(x, n - 1024), ry = rms(y + 1024, n - 1024);
    CHECK(ry > 0.3 * rx && ry < 3 * rx, "the effect keeps the level roughly: rms %.3f vs %.3f", ry, rx);
    CHECK(max_abs_diff(y + 1024, x, n - 1024) > 0.05, "amount 0.7 changes the sound");
    free(x), free(y), free(z);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--make-model") == 0)
        return make_model(argv[2], argc > 3 ? atoi(argv[3]) : 6) ? 0 : 1;
    light = getenv("DRIFT_TEST_LIGHT") != NULL;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/drift_plugin_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    char model[600], model2[600];
    snprintf(model, sizeof model, "%s", tmp("low.safetensors"));
    snprintf(model2, sizeof model2, "%s", tmp("high.safetensors"));
    if (make_model(model, 6) && make_model(model2, 12)) {
        test_pitch_and_level(model);
        test_no_clicks(model);
        test_state_and_determinism(model);
        test_realtime(model, model2);
    }
    test_texture();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish("test_plugin");
}
