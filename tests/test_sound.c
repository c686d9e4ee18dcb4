/* test_sound.c: the sound pipeline's library parts: parameters in a
 * model's task JSON, tag prompts with suggestions, the log-mel
 * representation both ways, SoundFont rendering (pitch checked against the
 * note's frequency), manifests, the training source, and generation
 * (lengths, variations, continuation, determinism) with a tiny model. */
#include "audio/classify.h"
#include "audio/drift_audio.h"
#include "audio/fluid.h"
#include "audio/sound.h"
#include "audio/sounddata.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_params_json(void)
{
    drift_sound_params p, q;
    drift_sound_params_default(&p);
    CHECK(p.sample_rate == 22050 && p.n_fft == 1024 && p.hop == 256 && p.n_mels == 80 && p.frames == 128,
          "documented defaults");
    CHECK(drift_sound_window_samples(&p) == 32513, "window of 128 frames: %zu", drift_sound_window_samples(&p));
    p.db_lo = -71.5f;
    p.db_hi = 8.5f;
    p.base_note = 48;
    char *json = drift_sound_params_to_json(&p);
    CHECK(json && drift_sound_params_from_json(json, &q) == DRIFT_OK, "round trip: %s", drift_last_error());
    CHECK(q.db_lo == -71.5f && q.db_hi == 8.5f && q.base_note == 48 && q.frames == 128, "fields kept");
    free(json);
    CHECK(drift_sound_params_from_json("{\"kind\":\"denoise\"}", &q) == DRIFT_ERR_ARG &&
              strstr(drift_last_error(), "not a sound model"),
          "other task kinds refused: %s", drift_last_error());
    CHECK(drift_sound_params_from_json(NULL, &q) == DRIFT_ERR_ARG, "no task refused");
    CHECK(drift_sound_params_from_json("{\"kind\":\"sound\",\"hop\":0}", &q) != DRIFT_OK &&
              strstr(drift_last_error(), "hop"),
          "bad hop named: %s", drift_last_error());
    CHECK(drift_sound_params_from_json("{\"kind\":\"sound\",\"n_mels\":\"x\"}", &q) == DRIFT_ERR_FORMAT,
          "non-number refused");
    CHECK(drift_sound_params_from_json("[1,2", &q) == DRIFT_ERR_FORMAT, "broken JSON refused");
}

/* A tiny 1-D sound model over 8 mel bands and 16 frames with tags. */
static drift_model *tiny_model(bool tags)
{
    static char *vocab[] = {"808 kit", "C4", "electric piano", "electric snare", "hard", "kick", "snare", "soft"};
    drift_sound_params p;
    drift_sound_params_default(&p);
    p.n_mels = 8;
    p.frames = 16;
    p.griffin_lim_iters = 4;
    drift_unet_config u = drift_unet_ref_config(1, p.n_mels);
    u.base_channels = 8;
    u.n_levels = 2;
    u.mults[0] = 1;
    u.mults[1] = 2;
    u.res_blocks = 1;
    u.groups = 4;
    u.temb_in = 8;
    u.temb_dim = 16;
    u.attn_levels = 2;
    drift_model_config c = drift_model_config_default(&u);
    if (tags) {
        c.vocab = vocab;
        c.vocab_size = 8;
        c.unet.ctx_dim = 8;
        c.unet.max_tags = 4;
    }
    c.task_json = drift_sound_params_to_json(&p);
    drift_model *m = NULL;
    CHECK(drift_model_create(&c, 5, &m) == DRIFT_OK, "create: %s", drift_last_error());
    free(c.task_json);
    return m;
}

static void test_prompts(void)
{
    drift_model *m = tiny_model(true);
    if (!m)
        return;
    int ids[4];
    CHECK(drift_sound_prompt(m, "electric piano C4 soft", ids) == DRIFT_OK, "prompt: %s", drift_last_error());
    CHECK(ids[0] == 2 && ids[1] == 1 && ids[2] == 7 && ids[3] == -1, "multi-word tag matched: %d %d %d %d",
          ids[0], ids[1], ids[2], ids[3]);
    CHECK(drift_sound_prompt(m, "Snare", ids) == DRIFT_OK && ids[0] == 6 && ids[1] == -1, "case-insensitive");
    CHECK(drift_sound_prompt(m, "electric snare hard", ids) == DRIFT_OK && ids[0] == 3 && ids[1] == 4,
          "longest tag first");
    CHECK(drift_sound_prompt(m, "", ids) == DRIFT_OK && ids[0] == -1, "empty prompt is unconditional");
    CHECK(drift_sound_prompt(m, NULL, ids) == DRIFT_OK && ids[0] == -1, "NULL prompt is unconditional");
    CHECK(drift_sound_prompt(m, "snare snare", ids) == DRIFT_OK && ids[0] == 6 && ids[1] == -1,
          "repeated tag counted once");
    drift_status s = drift_sound_prompt(m, "snere hard", ids);
    CHECK(s == DRIFT_ERR_ARG && strstr(drift_last_error(), "'snere'") && strstr(drift_last_error(), "'snare'"),
          "unknown word named with the closest tag: %s", drift_last_error());
    s = drift_sound_prompt(m, "kick guitar", ids);
    CHECK(s == DRIFT_ERR_ARG && strstr(drift_last_error(), "'guitar'") && !strstr(drift_last_error(), "'kick' ("),
          "only the unknown word is reported: %s", drift_last_error());
    s = drift_sound_prompt(m, "kick snare soft hard C4", ids);
    CHECK(s == DRIFT_ERR_ARG && strstr(drift_last_error(), "more than the 4"), "too many tags: %s",
          drift_last_error());
    drift_model_free(m);
    m = tiny_model(false);
    if (!m)
        return;
    CHECK(drift_sound_prompt(m, "kick", ids) == DRIFT_ERR_ARG && strstr(drift_last_error(), "takes no tags"),
          "untagged model refuses prompts: %s", drift_last_error());
    drift_model_free(m);
}

/* The frequency with the most energy, by a plain DFT scan over [lo, hi]. */
static double peak_frequency(const float *x, size_t n, int rate, double lo, double hi)
{
    double best = 0, best_f = 0;
    for (double f = lo; f <= hi; f += 0.5) {
        double re = 0, im = 0;
        for (size_t i = 0; i < n; i++) {
            re += x[i] * cos(2 * M_PI * f * i / rate);
            im += x[i] * sin(2 * M_PI * f * i / rate);
        }
        if (re * re + im * im > best)
            best = re * re + im * im, best_f = f;
    }
    return best_f;
}

static void test_representation(void)
{
    drift_sound_params p;
    drift_sound_params_default(&p);
    drift_sound_engine *e;
    CHECK(drift_sound_engine_create_params(&p, &e) == DRIFT_OK, "engine: %s", drift_last_error());
    if (!e)
        return;
    size_t n = drift_sound_window_samples(&p), cells = (size_t)p.n_mels * p.frames;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *mel = malloc(cells * sizeof *mel), *mel2 = malloc(cells * sizeof *mel2);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.3f * (float)sin(2 * M_PI * 440.0 * i / p.sample_rate);
    CHECK(drift_sound_engine_encode(e, x, n, mel) == DRIFT_OK, "encode: %s", drift_last_error());
    float lo = 2, hi = -2;
    for (size_t i = 0; i < cells; i++)
        lo = fminf(lo, mel[i]), hi = fmaxf(hi, mel[i]);
    CHECK(lo >= -1 && hi <= 1 && hi > 0, "normalised to [-1, 1] with a loud band: %g..%g", lo, hi);
    CHECK(drift_sound_engine_decode(e, mel, p.frames, 1, y) == DRIFT_OK, "decode: %s", drift_last_error());
    double f = peak_frequency(y + n / 4, n / 2, p.sample_rate, 300, 600);
    CHECK(fabs(f - 440) < 15, "decoded sine keeps its pitch: %.1f Hz", f);
    CHECK(drift_sound_engine_encode(e, y, n, mel2) == DRIFT_OK, "re-encode");
    double err = 0;
    for (size_t i = 0; i < cells; i++)
        err += fabs(mel[i] - mel2[i]) / cells;
    /* 0.05 in normalised units is 4 dB with the default 160 dB range */
    CHECK(err < 0.05, "mel of the decoded audio matches: mean |diff| %.4f", err);
    printf("representation: peak %.1f Hz, mel round trip mean |diff| %.4f\n", f, err);
    free(x), free(y), free(mel), free(mel2);
    drift_sound_engine_free(e);
}

static void test_fluid(void)
{
    drift_fluid *f;
    CHECK(drift_fluid_open("/nonexistent.sf2", 22050, 0.5f, &f) == DRIFT_ERR_IO &&
              strstr(drift_last_error(), "nonexistent.sf2"),
          "missing SoundFont named: %s", drift_last_error());
    if (drift_fluid_open(DRIFT_GM_SOUNDFONT, 22050, 1.0f, &f) != DRIFT_OK) {
        CHECK(0, "open the GM SoundFont: %s", drift_last_error());
        return;
    }
    size_t n = 22050;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    CHECK(drift_fluid_render(f, false, 0, 69, 100, 0.8, n, a) == DRIFT_OK, "render A4: %s", drift_last_error());
    double hz = peak_frequency(a + 2205, 8192, 22050, 400, 480);
    CHECK(fabs(hz - 440) < 4, "piano A4 sounds at 440 Hz: %.1f", hz);
    CHECK(drift_fluid_render(f, false, 0, 69, 100, 0.8, n, b) == DRIFT_OK && !memcmp(a, b, n * sizeof *a),
          "rendering is deterministic");
    CHECK(drift_fluid_render(f, true, 0, 38, 100, 0.2, n, b) == DRIFT_OK, "render a snare");
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += b[i] * b[i];
    CHECK(e > 1, "the snare is not silent: energy %g", e);
    CHECK(drift_fluid_render(f, false, 0, 200, 100, 0.8, n, b) == DRIFT_ERR_ARG, "bad note refused");
    free(a), free(b);
    drift_fluid_close(f);
}

static void test_manifest(void)
{
    drift_sound_manifest m = {0};
    char *tags[2] = {"kick", "hard"};
    drift_sound_item it = {.file = "a/kick-1.wav", .n_tags = 2, .family = "drum kit", .pitch = -1, .velocity = 120};
    memcpy(it.tags, tags, sizeof tags);
    CHECK(drift_sound_manifest_add(&m, &it) == DRIFT_OK, "add");
    it.file = "bad,name.wav";
    CHECK(drift_sound_manifest_add(&m, &it) == DRIFT_ERR_ARG, "comma in a file name refused");
    CHECK(drift_sound_manifest_write(test_tmp("m.csv"), &m) == DRIFT_OK, "write: %s", drift_last_error());
    drift_sound_manifest l;
    CHECK(drift_sound_manifest_load(test_tmp("m.csv"), &l) == DRIFT_OK, "load: %s", drift_last_error());
    CHECK(l.n == 1 && !strcmp(l.items[0].tags[0], "kick") && !strcmp(l.items[0].family, "drum kit") &&
              l.items[0].velocity == 120 && !strcmp(l.dir, test_tmpdir),
          "fields kept");
    drift_sound_manifest_free(&l);
    drift_sound_manifest_free(&m);
    FILE *fp = fopen(test_tmp("bad.csv"), "w");
    fprintf(fp, "file,tags,family,pitch,velocity,split\nx.wav,kick,,300,1,train\n");
    fclose(fp);
    CHECK(drift_sound_manifest_load(test_tmp("bad.csv"), &l) == DRIFT_ERR_FORMAT && strstr(drift_last_error(), ":2:"),
          "bad pitch named with its line: %s", drift_last_error());
    fp = fopen(test_tmp("bad.csv"), "w");
    fprintf(fp, "name,whatever\n");
    fclose(fp);
    CHECK(drift_sound_manifest_load(test_tmp("bad.csv"), &l) == DRIFT_ERR_FORMAT, "bad header refused");
    int held = 0;
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "clip%d.wav", i);
        held += drift_sound_split_is_test(name);
    }
    CHECK(held > 60 && held < 140, "about one clip in ten held out: %d of 1000", held);
    char pn[8];
    drift_pitch_name(60, pn);
    CHECK(!strcmp(pn, "C4"), "MIDI 60 is C4: %s", pn);
    drift_pitch_name(54, pn);
    CHECK(!strcmp(pn, "F#3"), "MIDI 54 is F#3: %s", pn);
    CHECK(!strcmp(drift_sound_tag_kind("F#3"), "pitch") && !strcmp(drift_sound_tag_kind("soft"), "velocity") &&
              !strcmp(drift_sound_tag_kind("organ"), "family") && !strcmp(drift_sound_tag_kind("kick"), "instrument"),
          "tag kinds");
}

static void test_render_and_source(void)
{
    drift_render_options o = {.small = true};
    int clips = 0;
    CHECK(drift_sound_render_gm(test_tmp("gm"), &o, &clips) == DRIFT_OK, "render: %s", drift_last_error());
    CHECK(clips == 8, "small data set: %d clips", clips);
    drift_sound_manifest man;
    if (drift_sound_manifest_load(test_tmp("gm/notes.csv"), &man) != DRIFT_OK) {
        CHECK(0, "load notes.csv: %s", drift_last_error());
        return;
    }
    CHECK(man.n == 4 && man.items[0].pitch == 48 && !strcmp(man.items[0].tags[2], "C3") &&
              !strcmp(man.items[0].tags[3], "medium"),
          "note tags: %s %s", man.n ? man.items[0].tags[2] : "", man.n ? man.items[0].tags[3] : "");
    drift_audio a;
    char path[600];
    snprintf(path, sizeof path, "%s/%s", man.dir, man.items[1].file);
    CHECK(drift_audio_read(path, &a) == DRIFT_OK && a.rate == 22050 && a.frames == 32513 && a.channels == 1,
          "clip is a 22.05 kHz mono window");
    if (a.data) {
        double hz = peak_frequency(a.data + 2205, 8192, 22050, 240, 285);
        CHECK(fabs(hz - 261.6) < 4, "'C4' clip sounds at 261.6 Hz: %.1f", hz);
        drift_audio_free(&a);
    }
    drift_sound_manifest_free(&man);

    drift_sound_source_options so = {.manifest = test_tmp("gm/drums.csv"), .range_db = 80, .max_tags = 4,
                                     .data_std = 1};
    drift_sound_params_default(&so.params);
    drift_sound_source *src;
    if (drift_sound_source_create(&so, &src) != DRIFT_OK) {
        CHECK(0, "source: %s", drift_last_error());
        return;
    }
    int nv;
    char **vocab = drift_sound_source_vocab(src, &nv);
    int known = 0;
    for (int i = 0; i < nv; i++)
        known += !strcmp(vocab[i], "standard kit") + !strcmp(vocab[i], "medium") + !strcmp(vocab[i], "drum kit");
    CHECK(known == 3 && nv >= 4, "vocabulary from the training clips (%d tags)", nv);
    const drift_sound_params *fp = drift_sound_source_params(src);
    CHECK(fp->db_hi - fp->db_lo == 80 && fp->db_hi > -60 && fp->db_hi < 40, "dB range fitted: %g..%g", fp->db_lo,
          fp->db_hi);
    enum { B = 3 };
    size_t dim = 80 * 128;
    float *x = malloc(2 * B * dim * sizeof *x);
    int ids[2][B * 4];
    drift_batch b1 = {B, dim, x, NULL, ids[0], NULL, 0}, b2 = {B, dim, x + B * dim, NULL, ids[1], NULL, 0};
    drift_data_source ds = drift_sound_source_data(src);
    drift_rng r1, r2;
    drift_rng_init(&r1, 9, 4);
    drift_rng_init(&r2, 9, 4);
    CHECK(ds.fill(ds.user, 4, &r1, &b1) == DRIFT_OK && ds.fill(ds.user, 4, &r2, &b2) == DRIFT_OK, "fill");
    CHECK(!memcmp(x, x + B * dim, B * dim * sizeof *x) && !memcmp(ids[0], ids[1], sizeof ids[0]),
          "same step and stream give the same batch");
    float lo = 2, hi = -2;
    for (size_t i = 0; i < B * dim; i++)
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    CHECK(lo >= -1 && hi <= 1 && hi > 0.5f, "batch in [-1, 1]: %g..%g", lo, hi);
    CHECK(ids[0][0] >= 0 && ids[0][0] < nv, "tag ids in range");
    free(x);
    drift_sound_source_free(src);
}

static void test_generate(void)
{
    drift_model *m = tiny_model(true);
    if (!m)
        return;
    drift_sound_request rq;
    drift_sound_request_defaults(&rq);
    rq.prompt = "kick hard";
    rq.steps = 3;
    rq.count = 2;
    rq.seed = 7;
    float *a = NULL, *b = NULL;
    size_t n = 0, n2 = 0;
    CHECK(drift_sound_generate(m, &rq, &a, &n) == DRIFT_OK, "generate: %s", drift_last_error());
    CHECK(n == 256 * 15 + 1, "one window: %zu samples", n);
    rq.count = 1;
    rq.seed = 8;
    CHECK(drift_sound_generate(m, &rq, &b, &n2) == DRIFT_OK && n2 == n, "second run");
    if (a && b) {
        CHECK(!memcmp(a + n, b, n * sizeof *a), "variation 2 of seed 7 is seed 8");
        CHECK(memcmp(a, b, n * sizeof *a) != 0, "different seeds differ");
        bool finite = true;
        for (size_t i = 0; i < 2 * n; i++)
            finite &= isfinite(a[i]) && fabsf(a[i]) <= 0.9f;
        CHECK(finite, "finite audio below full scale");
    }
    free(a), free(b);
    rq.seconds = 0.5; /* 16 frames ~ 0.17 s: three windows with continuation */
    CHECK(drift_sound_generate(m, &rq, &a, &n) == DRIFT_OK && n == 11025, "0.5 s by continuation: %zu (%s)", n,
          drift_last_error());
    free(a);
    rq.prompt = "kik";
    CHECK(drift_sound_generate(m, &rq, &a, &n) == DRIFT_ERR_ARG && !a && strstr(drift_last_error(), "'kick'"),
          "bad prompt fails with a suggestion: %s", drift_last_error());
    rq.prompt = "";
    rq.count = 0;
    CHECK(drift_sound_generate(m, &rq, &a, &n) == DRIFT_ERR_ARG, "count 0 refused");
    drift_model_free(m);
}

static void test_classifier(void)
{
    enum { N = 400, D = 3, MELS = 8, FRAMES = 16 };
    float *a = malloc(N * D * sizeof *a), *b = malloc(N * D * sizeof *b);
    float *mels = malloc((size_t)N * MELS * FRAMES * sizeof *mels);
    int labels[N], pred[N];
    drift_rng r;
    drift_rng_init(&r, 3, 0);
    drift_rng_normal(&r, a, N * D);
    for (int i = 0; i < N * D; i++)
        b[i] = a[i] + (i % D == 0 ? 1.0f : 0.0f);
    double fd = -1;
    CHECK(drift_frechet_distance(a, N, a, N, D, &fd) == DRIFT_OK && fabs(fd) < 1e-6, "same set: %g", fd);
    /* a shifted copy has the same covariance, so the distance is |shift|^2 = 1 */
    CHECK(drift_frechet_distance(a, N, b, N, D, &fd) == DRIFT_OK && fabs(fd - 1) < 1e-5, "shift 1: %g", fd);
    /* log-mel-like clips: class 1 has its energy in the upper bands, class 0
     * in the lower ones, under noise of the same size as the difference */
    drift_rng_normal(&r, mels, (size_t)N * MELS * FRAMES);
    for (int i = 0; i < N; i++) {
        labels[i] = i % 2;
        for (int m = 0; m < MELS; m++)
            for (int f = 0; f < FRAMES; f++)
                mels[((size_t)i * MELS + m) * FRAMES + f] =
                    0.5f * mels[((size_t)i * MELS + m) * FRAMES + f] + ((m >= MELS / 2) == labels[i] ? 0.5f : -0.5f);
    }
    drift_classifier *c;
    CHECK(drift_sound_classifier_train(mels, labels, N / 2, MELS, FRAMES, 2, 10, 1, &c) == DRIFT_OK, "train: %s",
          drift_last_error());
    int right = 0;
    float *emb = c ? malloc((size_t)N * drift_classifier_embed_dim(c) * sizeof *emb) : NULL;
    CHECK(c && drift_sound_classifier_run(c, mels, N, FRAMES, pred, emb) == DRIFT_OK, "run: %s", drift_last_error());
    for (int i = N / 2; c && i < N; i++)
        right += pred[i] == labels[i];
    CHECK(right > 0.9 * N / 2, "held-out clips recognised: %d of %d", right, N / 2);
    drift_classifier_free(c);
    labels[0] = 5;
    CHECK(drift_sound_classifier_train(mels, labels, N, MELS, FRAMES, 2, 10, 1, &c) == DRIFT_ERR_ARG && !c,
          "bad label refused");
    free(a), free(b), free(mels), free(emb);
}

int main(void)
{
    snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/drift_sound_XXXXXX");
    if (!mkdtemp(test_tmpdir))
        return 1;
    test_params_json();
    test_prompts();
    test_representation();
    test_fluid();
    test_manifest();
    test_render_and_source();
    test_generate();
    test_classifier();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", test_tmpdir);
    return test_finish("test_sound");
}
