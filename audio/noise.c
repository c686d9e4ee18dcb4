/* noise.c: the noise generators of noise.h (training and held-out kinds). */
#include "noise.h"

#include <math.h>
#include <string.h>

static const char *const names[DRIFT_NOISE_COUNT] = {"white", "pink", "brown", "hum", "babble",
                                                     "clicks", "rumble", "tones", "fan", "whine"};

const char *drift_noise_name(drift_noise_kind kind)
{
    return (unsigned)kind < DRIFT_NOISE_COUNT ? names[kind] : "unknown";
}

drift_status drift_noise_parse(const char *name, drift_noise_kind *kind)
{
    for (int i = 0; i < DRIFT_NOISE_COUNT; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *kind = (drift_noise_kind)i;
            return DRIFT_OK;
        }
    return drift_fail(DRIFT_ERR_ARG, "unknown noise '%s' (known: white, pink, brown, hum, babble, clicks, "
                      "rumble, tones, fan, whine)", name ? name : "(null)");
}

bool drift_noise_held_out(drift_noise_kind kind)
{
    return kind == DRIFT_NOISE_FAN || kind == DRIFT_NOISE_WHINE;
}

static double uniform(drift_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * drift_rng_uniform(r);
}

void drift_noise_unit_rms(float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    if (n == 0 || e <= 1e-30)
        return;
    float g = (float)(1.0 / sqrt(e / (double)n));
    for (size_t i = 0; i < n; i++)
        x[i] *= g;
}

void drift_biquad(drift_biquad_kind kind, double f0, double q, int rate, float *x, size_t n)
{
    double w0 = 2 * M_PI * fmin(f0, 0.49 * rate) / rate, c = cos(w0), alpha = sin(w0) / (2 * q);
    double b0, b1, b2;
    if (kind == DRIFT_BIQUAD_LOWPASS) {
        b0 = b2 = (1 - c) / 2;
        b1 = 1 - c;
    } else if (kind == DRIFT_BIQUAD_HIGHPASS) {
        b0 = b2 = (1 + c) / 2;
        b1 = -(1 + c);
    } else {
        b0 = alpha;
        b1 = 0;
        b2 = -alpha;
    }
    double a0 = 1 + alpha, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
    b0 /= a0, b1 /= a0, b2 /= a0;
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (size_t i = 0; i < n; i++) {
        double y = b0 * x[i] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1, x1 = x[i], y2 = y1, y1 = y;
        x[i] = (float)y;
    }
}

/* Pink: the Voss-McCartney sum of held random rows, row k redrawn every
 * 2^k samples (at the sample whose index has k trailing zeros), plus a
 * white row: -3 dB/octave within about 1 dB, flat below ~20 Hz (the
 * slowest row changes at about 20 Hz). */
static void pink(int rate, size_t n, drift_rng *r, float *out)
{
    enum { MAX_ROWS = 16 };
    int n_rows = 1;
    while (n_rows < MAX_ROWS && (rate >> n_rows) > 20)
        n_rows++;
    float rows[MAX_ROWS], w[2];
    drift_rng_normal(r, rows, MAX_ROWS);
    double sum = 0;
    for (int k = 0; k < n_rows; k++)
        sum += rows[k];
    for (size_t i = 0; i < n; i++) {
        drift_rng_normal(r, w, 2);
        if (i > 0) {
            int k = __builtin_ctzll((unsigned long long)i);
            if (k < n_rows) {
                sum += w[1] - rows[k];
                rows[k] = w[1];
            }
        }
        out[i] = (float)(sum + w[0]);
    }
    drift_biquad(DRIFT_BIQUAD_HIGHPASS, 20, 0.707, rate, out, n);
}

static void brown(int rate, size_t n, drift_rng *r, float *out)
{
    drift_rng_normal(r, out, n);
    double leak = exp(-2 * M_PI * 10.0 / rate), y = 0; /* integrator flattens below 10 Hz */
    for (size_t i = 0; i < n; i++) {
        y = leak * y + out[i];
        out[i] = (float)y;
    }
    drift_biquad(DRIFT_BIQUAD_HIGHPASS, 20, 0.707, rate, out, n);
}

/* A sum of harmonics k*f0 of random amplitudes (decaying, odd ones
 * stronger, as a transformer's buzz) and phases, up to nyquist and 1 kHz. */
static void hum(int rate, size_t n, drift_rng *r, float *out)
{
    double f0 = drift_rng_uniform(r) < 0.5 ? 50 : 60;
    f0 *= uniform(r, 0.995, 1.005);
    memset(out, 0, n * sizeof(float));
    for (int k = 1; k * f0 < fmin(1000, 0.45 * rate); k++) {
        double amp = uniform(r, 0.2, 1.0) / pow(k, uniform(r, 0.5, 1.5)) * (k % 2 ? 1.0 : 0.5);
        double ph = uniform(r, 0, 2 * M_PI), w = 2 * M_PI * k * f0 / rate;
        for (size_t i = 0; i < n; i++)
            out[i] += (float)(amp * sin(w * (double)i + ph));
    }
}

static drift_status babble(size_t n, drift_rng *r, const drift_noise_clips *speech, float *out)
{
    if (!speech || speech->count < 1)
        return drift_fail(DRIFT_ERR_ARG, "babble noise needs speech clips to mix, and none were given");
    memset(out, 0, n * sizeof(float));
    int talkers = 4 + (int)drift_rng_below(r, 4);
    for (int t = 0; t < talkers; t++) {
        int c = (int)drift_rng_below(r, (uint32_t)speech->count);
        const float *clip = speech->clips[c];
        size_t len = speech->lengths[c];
        if (len == 0)
            continue;
        size_t start = drift_rng_below(r, (uint32_t)(len > 0xffffffffu ? 0xffffffffu : len));
        float g = (float)uniform(r, 0.5, 1.0);
        for (size_t i = 0; i < n; i++)
            out[i] += g * clip[(start + i) % len];
    }
    return DRIFT_OK;
}

/* Clicks: Poisson-timed impulses with exponentially decaying tails; crackle:
 * many tiny ones, band-passed a little to sound like dust on a record. */
static void clicks(int rate, size_t n, drift_rng *r, float *out)
{
    memset(out, 0, n * sizeof(float));
    double rates[2] = {uniform(r, 2, 20), uniform(r, 100, 600)};
    double amps[2] = {1.0, uniform(r, 0.05, 0.2)};
    for (int layer = 0; layer < 2; layer++) {
        double mean_gap = rate / rates[layer], pos = 0;
        for (;;) {
            pos += -log(drift_rng_uniform(r)) * mean_gap;
            if (pos >= (double)n)
                break;
            double a = amps[layer] * uniform(r, 0.3, 1.0) * (drift_rng_uniform(r) < 0.5 ? -1 : 1);
            double decay = exp(-1.0 / (uniform(r, 0.0002, 0.002) * rate));
            for (size_t i = (size_t)pos; i < n && fabs(a) > 1e-4; i++, a *= -decay)
                out[i] += (float)a;
        }
    }
    drift_biquad(DRIFT_BIQUAD_HIGHPASS, 200, 0.707, rate, out, n);
}

static void rumble(int rate, size_t n, drift_rng *r, float *out)
{
    drift_rng_normal(r, out, n);
    double lo = uniform(r, 20, 60), hi = uniform(r, 100, 250);
    drift_biquad(DRIFT_BIQUAD_LOWPASS, hi, 0.707, rate, out, n);
    drift_biquad(DRIFT_BIQUAD_LOWPASS, hi, 0.707, rate, out, n);
    drift_biquad(DRIFT_BIQUAD_HIGHPASS, lo, 0.707, rate, out, n);
}

/* 1 to 3 steady sine tones (no vibrato, no harmonics) at frequencies
 * spread evenly in log frequency over 150 Hz .. 7 kHz (below 0.45 rate),
 * of random amplitudes and phases. */
static void tones(int rate, size_t n, drift_rng *r, float *out)
{
    memset(out, 0, n * sizeof(float));
    int count = 1 + (int)drift_rng_below(r, 3);
    for (int k = 0; k < count; k++) {
        double f = exp(uniform(r, log(150.0), log(fmin(7000, 0.45 * rate))));
        double amp = uniform(r, 0.3, 1.0), ph = uniform(r, 0, 2 * M_PI), w = 2 * M_PI * f / rate;
        for (size_t i = 0; i < n; i++)
            out[i] += (float)(amp * sin(w * (double)i + ph));
    }
}

static void fan(int rate, size_t n, drift_rng *r, float *out)
{
    pink(rate, n, r, out);
    double centre = uniform(r, 200, 1200), q = uniform(r, 0.3, 0.8);
    drift_biquad(DRIFT_BIQUAD_BANDPASS, centre, q, rate, out, n);
    drift_biquad(DRIFT_BIQUAD_LOWPASS, uniform(r, 2000, 5000), 0.707, rate, out, n);
    drift_noise_unit_rms(out, n);
    double blade = uniform(r, 8, 40), depth = uniform(r, 0.1, 0.3), ph = uniform(r, 0, 2 * M_PI);
    double tone = blade * (int)uniform(r, 3, 9), tone_amp = uniform(r, 0.05, 0.2);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        out[i] = (float)(out[i] * (1 + depth * sin(2 * M_PI * blade * t + ph)) +
                         tone_amp * sin(2 * M_PI * tone * t));
    }
}

static void whine(int rate, size_t n, drift_rng *r, float *out)
{
    drift_rng_normal(r, out, n);
    double f = uniform(r, 1000, fmin(6000, 0.2 * rate)), vib = uniform(r, 0.2, 3), depth = uniform(r, 0.002, 0.01);
    double h2 = uniform(r, 0.1, 0.4), h3 = uniform(r, 0.05, 0.2), phase = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        phase += 2 * M_PI * f * (1 + depth * sin(2 * M_PI * vib * t)) / rate;
        out[i] = (float)(sin(phase) + h2 * sin(2 * phase) + h3 * sin(3 * phase) + 0.02 * out[i]);
    }
}

/* A random colouring and a random level fluctuation, so that a model
 * trained on the kinds above does not learn their exact spectra and
 * steadiness: two peaking bands (centre log-uniform in 100 Hz .. 6 kHz,
 * Q 0.5..2, -12..+12 dB, each x + (G - 1) * bandpass(x), which has gain
 * G at the centre) and a sinusoidal level change of depth 0..0.5 at
 * 0.5..40 Hz (slow as passing traffic up to fast as a motor's beat). */
void drift_noise_augment(int rate, size_t n, drift_rng *r, float *x, float *scratch)
{
    for (int band = 0; band < 2; band++) {
        double centre = exp(uniform(r, log(100.0), log(fmin(6000, 0.45 * rate))));
        double q = uniform(r, 0.5, 2.0), g = pow(10, uniform(r, -12, 12) / 20) - 1;
        memcpy(scratch, x, n * sizeof(float));
        drift_biquad(DRIFT_BIQUAD_BANDPASS, centre, q, rate, scratch, n);
        for (size_t i = 0; i < n; i++)
            x[i] += (float)(g * scratch[i]);
    }
    double f = exp(uniform(r, log(0.5), log(40.0))), depth = uniform(r, 0, 0.5), ph = uniform(r, 0, 2 * M_PI);
    for (size_t i = 0; i < n; i++)
        x[i] *= (float)(1 + depth * sin(2 * M_PI * f * (double)i / rate + ph));
    drift_noise_unit_rms(x, n);
}

drift_status drift_noise_generate(drift_noise_kind kind, int rate, size_t n, drift_rng *rng,
                                  const drift_noise_clips *speech, float *out)
{
    if ((unsigned)kind >= DRIFT_NOISE_COUNT)
        return drift_fail(DRIFT_ERR_ARG, "unknown noise kind %d", (int)kind);
    if (rate < 8000 || rate > 192000)
        return drift_fail(DRIFT_ERR_ARG, "noise sample rate %d Hz is outside 8000..192000", rate);
    switch (kind) {
    case DRIFT_NOISE_WHITE: drift_rng_normal(rng, out, n); break;
    case DRIFT_NOISE_PINK: pink(rate, n, rng, out); break;
    case DRIFT_NOISE_BROWN: brown(rate, n, rng, out); break;
    case DRIFT_NOISE_HUM: hum(rate, n, rng, out); break;
    case DRIFT_NOISE_BABBLE: {
        drift_status s = babble(n, rng, speech, out);
        if (s != DRIFT_OK)
            return s;
        break;
    }
    case DRIFT_NOISE_CLICKS: clicks(rate, n, rng, out); break;
    case DRIFT_NOISE_RUMBLE: rumble(rate, n, rng, out); break;
    case DRIFT_NOISE_TONES: tones(rate, n, rng, out); break;
    case DRIFT_NOISE_FAN: fan(rate, n, rng, out); break;
    default: whine(rate, n, rng, out); break;
    }
    drift_noise_unit_rms(out, n);
    return DRIFT_OK;
}
