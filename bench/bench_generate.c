/* bench_generate.c: time to generate one 1.47 s sound (128 frames at
 * 22.05 kHz) with a 25-step sampler plus phase recovery (mel inversion and
 * 32 Griffin-Lim iterations), and its real-time factor. Medians of several
 * runs; the model's U-Net time and the phase recovery are also timed
 * separately.
 * Usage: bench_generate [MODEL] [RUNS]   (MODEL: a sound model file; without
 * one, an untrained model with the drums recipe's network: same speed). */
#include "bench_clock.h"
#include "audio/drift_audio.h"
#include "audio/sound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The drums recipe's network over 80 mel bands with a 50-tag vocabulary. */
static drift_status untrained_model(drift_model **out)
{
    static char *vocab[50];
    static char names[50][8];
    for (int i = 0; i < 50; i++) {
        snprintf(names[i], sizeof names[i], "t%02d", i);
        vocab[i] = names[i];
    }
    drift_sound_params p;
    drift_sound_params_default(&p);
    drift_unet_config u = drift_unet_ref_config(1, p.n_mels);
    u.base_channels = 40;
    u.attn_levels = 4;
    u.heads = 4;
    drift_model_config c = drift_model_config_default(&u);
    c.vocab = vocab;
    c.vocab_size = 50;
    c.unet.ctx_dim = 64;
    c.unet.max_tags = 4;
    c.task_json = drift_sound_params_to_json(&p);
    drift_status s = drift_model_create(&c, 1, out);
    free(c.task_json);
    return s;
}

static double median_of(double *t, int n)
{
    bench_sort(t, (size_t)n);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    runs = runs < 1 ? 1 : runs > 100 ? 100 : runs;
    drift_model *m;
    bool file = argc > 1 && argv[1][0];
    drift_status s = file ? drift_model_load(argv[1], &m) : untrained_model(&m);
    drift_sound_engine *e = NULL;
    if (s == DRIFT_OK)
        s = drift_sound_engine_create(m, &e);
    if (s != DRIFT_OK) {
        fprintf(stderr, "bench_generate: %s\n", drift_last_error());
        return 1;
    }
    const drift_sound_params *p = drift_sound_engine_params(e);
    drift_sound_request rq;
    drift_sound_request_defaults(&rq);
    rq.steps = 25;
    rq.prompt = m->cfg.vocab_size ? m->cfg.vocab[0] : NULL;
    double total[100], phase[100];
    size_t cells = (size_t)p->n_mels * p->frames, n = drift_sound_window_samples(p);
    float *mel = calloc(cells, sizeof *mel), *y = malloc(n * sizeof *y);
    for (int r = 0; r <= runs && s == DRIFT_OK; r++) { /* run 0 warms up */
        float *audio;
        size_t frames;
        rq.seed = (uint64_t)r;
        double t0 = bench_now();
        s = drift_sound_engine_generate(e, &rq, &audio, &frames);
        double t1 = bench_now();
        if (s == DRIFT_OK)
            s = drift_sound_engine_decode(e, mel, p->frames, 1, y);
        double t2 = bench_now();
        if (r > 0) {
            total[r - 1] = t1 - t0;
            phase[r - 1] = t2 - t1;
        }
        if (s == DRIFT_OK)
            free(audio);
    }
    if (s != DRIFT_OK) {
        fprintf(stderr, "bench_generate: %s\n", drift_last_error());
        return 1;
    }
    double clip = (double)n / p->sample_rate, t = median_of(total, runs), ph = median_of(phase, runs);
    printf("model: %s (%s U-Net, guidance %.0f: %d network rows per step)\n", file ? argv[1] : "untrained, drums recipe network",
           m->cfg.unet.dims == 1 ? "1-D" : "2-D", rq.guidance, rq.prompt && rq.guidance != 1 ? 2 : 1);
    printf("threads: %d, runs: %d (medians)\n", drift_get_threads(), runs);
    printf("sampler %s, %d steps + mel inversion + Griffin-Lim %d iterations\n", drift_sampler_name(rq.sampler),
           rq.steps, p->griffin_lim_iters);
    printf("clip %.3f s: total %.3f s, real-time factor %.3f\n", clip, t, t / clip);
    printf("  of which phase recovery %.3f s, sampling %.3f s (%.1f ms per step)\n", ph, t - ph,
           1000 * (t - ph) / rq.steps);
    free(mel), free(y);
    drift_sound_engine_free(e);
    drift_model_free(m);
    return 0;
}
