/* cmd_spectrogram.c: `drift spectrogram IN OUT.png`: a log-mel spectrogram
 * picture of an audio file (audio/ computes it, vision/ draws it). */
#include "cli.h"
#include "commands.h"

#include "audio/drift_audio.h"
#include "vision/plot.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct spec_options {
    long n_fft, hop, n_mels;
    double f_min, f_max, top_db;
    drift_window_kind window;
    drift_mel_scale scale;
    const char *in, *out, *title;
} spec_options;

static void help(void)
{
    printf("usage: drift spectrogram IN OUT.png [options]\n"
           "       drift spectrogram IN -o OUT.png [options]\n\n"
           "Draws the log-mel power spectrogram (dB) of an audio file (channels averaged).\n\n"
           "  -o PATH          output PNG\n"
           "  --n-fft N        FFT size (default 1024)\n"
           "  --hop N          hop between frames in samples (default n_fft / 4)\n"
           "  --n-mels N       mel bands (default 128)\n"
           "  --fmin HZ        lowest frequency (default 0)\n"
           "  --fmax HZ        highest frequency (default: half the sample rate)\n"
           "  --top-db DB      dynamic range shown below the loudest cell (default 80)\n"
           "  --window NAME    hann, hamming or rect (default hann)\n"
           "  --mel-scale S    slaney or htk (default slaney, area-normalised bands)\n"
           "  --title TEXT     picture title (default: the file name)\n\n"
           "example:\n  drift spectrogram speech.wav speech.png --n-mels 80\n");
}

static int parse_option(int c, spec_options *o)
{
    switch (c) {
    case 'o': o->out = optarg; return 0;
    case 'n': return cli_parse_int("spectrogram", "--n-fft", optarg, 16, 65536, &o->n_fft) ? 0 : 1;
    case 'p': return cli_parse_int("spectrogram", "--hop", optarg, 1, 65536, &o->hop) ? 0 : 1;
    case 'm': return cli_parse_int("spectrogram", "--n-mels", optarg, 1, 1024, &o->n_mels) ? 0 : 1;
    case 'f': return cli_parse_float("spectrogram", "--fmin", optarg, 0, 1e6, &o->f_min) ? 0 : 1;
    case 'F': return cli_parse_float("spectrogram", "--fmax", optarg, 1, 1e6, &o->f_max) ? 0 : 1;
    case 'd': return cli_parse_float("spectrogram", "--top-db", optarg, 1, 300, &o->top_db) ? 0 : 1;
    case 't': o->title = optarg; return 0;
    case 'w': return drift_window_parse(optarg, &o->window) ? cli_fail_status("spectrogram", "--window") : 0;
    case 's':
        if (!strcmp(optarg, "slaney") || !strcmp(optarg, "htk")) {
            o->scale = optarg[0] == 's' ? DRIFT_MEL_SLANEY : DRIFT_MEL_HTK;
            return 0;
        }
        return cli_error("spectrogram", "--mel-scale must be slaney or htk, got '%s'", optarg);
    }
    return 2;
}

static int parse_args(int argc, char **argv, spec_options *o)
{
    static const struct option opts[] = {
        {"n-fft", required_argument, 0, 'n'}, {"hop", required_argument, 0, 'p'},
        {"n-mels", required_argument, 0, 'm'}, {"fmin", required_argument, 0, 'f'},
        {"fmax", required_argument, 0, 'F'}, {"top-db", required_argument, 0, 'd'},
        {"window", required_argument, 0, 'w'}, {"mel-scale", required_argument, 0, 's'},
        {"title", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    *o = (spec_options){.n_fft = 1024, .n_mels = 128, .top_db = 80, .scale = DRIFT_MEL_SLANEY};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return -1;
        }
        int r = parse_option(c, o);
        if (r)
            return r;
    }
    int rest = argc - optind;
    if (rest == 2 && !o->out) {
        o->in = argv[optind];
        o->out = argv[optind + 1];
    } else if (rest == 1 && o->out) {
        o->in = argv[optind];
    } else {
        return cli_error("spectrogram", "expected IN OUT.png or IN -o OUT.png (see drift spectrogram --help)");
    }
    if (!o->hop)
        o->hop = o->n_fft / 4;
    return 0;
}

/* Ticks at octaves from 125 Hz, placed at their fractional mel band. */
static int frequency_ticks(const drift_mel *m, double *rows, char labels[][24], const char **ptrs)
{
    const drift_mel_config *mc = drift_mel_get_config(m);
    double lo = drift_hz_to_mel(mc->f_min, mc->scale), hi = drift_hz_to_mel(mc->f_max, mc->scale);
    int n = 0;
    for (double hz = 125; hz <= mc->f_max && n < 12; hz *= 2) {
        rows[n] = (drift_hz_to_mel(hz, mc->scale) - lo) / (hi - lo) * (mc->n_mels + 1) - 1;
        if (hz >= 1000)
            snprintf(labels[n], 24, "%g kHz", hz / 1000);
        else
            snprintf(labels[n], 24, "%g Hz", hz);
        ptrs[n] = labels[n];
        n++;
    }
    return n;
}

static drift_status draw(const spec_options *o, const drift_mel *m, const float *db, size_t frames, double seconds,
                         float peak)
{
    double rows[12];
    char labels[12][24];
    const char *ptrs[12];
    int n_ticks = frequency_ticks(m, rows, labels, ptrs);
    char title[256];
    snprintf(title, sizeof title, "%s", o->title ? o->title : o->in);
    drift_heatmap h = {.values = db, .rows = (int)o->n_mels, .cols = (int)frames, .vmin = peak - (float)o->top_db,
                       .vmax = peak, .title = title, .x_label = "time (s)", .y_label = "mel frequency (power dB)",
                       .x_min = 0, .x_max = seconds, .n_yticks = n_ticks, .ytick_rows = rows,
                       .ytick_labels = ptrs};
    return drift_plot_heatmap(o->out, &h);
}

/* Mono log-mel dB matrix (n_mels, frames) of the input, then the picture. */
static int run(const spec_options *o, const drift_audio *a)
{
    drift_stft_config sc = {.n_fft = (int)o->n_fft, .hop = (int)o->hop, .window = o->window, .center = true};
    drift_mel_config mc = {.sample_rate = a->rate, .n_freqs = (int)o->n_fft / 2 + 1, .n_mels = (int)o->n_mels,
                           .f_min = o->f_min, .f_max = o->f_max, .scale = o->scale,
                           .norm = o->scale == DRIFT_MEL_SLANEY ? DRIFT_MEL_NORM_SLANEY : DRIFT_MEL_NORM_NONE};
    drift_stft *p = NULL;
    drift_mel *m = NULL;
    float *mono = NULL, *mel = NULL;
    drift_status s = drift_stft_create(&p, &sc);
    if (!s)
        s = drift_mel_create(&m, &mc);
    size_t frames = s ? 0 : drift_stft_frames(p, a->frames);
    if (!s && !(mono = malloc(a->frames * sizeof *mono)))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu samples", a->frames);
    if (!s && !(mel = malloc((frames ? frames : 1) * (size_t)o->n_mels * sizeof *mel)))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for a spectrogram of %zu frames", frames);
    if (!s) {
        drift_audio_mix_mono(a, mono);
        s = drift_mel_spectrogram(p, m, mono, a->frames, 2.0f, mel);
    }
    if (!s) {
        size_t n = frames * (size_t)o->n_mels;
        drift_amplitude_to_db(mel, n, 10.0f, 1e-10f, 1.0f, (float)o->top_db);
        float peak = -1e30f;
        for (size_t i = 0; i < n; i++)
            peak = mel[i] > peak ? mel[i] : peak;
        s = draw(o, m, mel, frames, (double)a->frames / a->rate, peak);
    }
    free(mono), free(mel);
    drift_mel_free(m);
    drift_stft_free(p);
    if (s)
        return cli_fail_status("spectrogram", o->in);
    printf("%s\n", o->out);
    return 0;
}

int cmd_spectrogram(int argc, char **argv)
{
    spec_options o;
    int r = parse_args(argc, argv, &o);
    if (r)
        return r < 0 ? 0 : r;
    drift_audio a;
    if (drift_audio_read(o.in, &a) != DRIFT_OK)
        return cli_fail_status("spectrogram", "cannot read input");
    int rc = run(&o, &a);
    drift_audio_free(&a);
    return rc;
}
