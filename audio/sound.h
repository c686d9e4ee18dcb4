/* sound.h: drift's sound representation and sound generation API.
 *
 * A sound model is a drift model whose samples are normalised log-mel
 * spectrograms: (n_mels, frames) for the 1-D U-Net (mel bins as channels,
 * frames as length) or (1, n_mels, frames) for the 2-D U-Net. The
 * parameters of that representation travel in the model's task JSON:
 *     "task": {"kind": "sound", "sample_rate": 22050, "n_fft": 1024, ...}
 * Generation samples a normalised log-mel, maps it back to dB, to power,
 * to a linear magnitude spectrogram (mel.h inverse) and to audio through
 * Griffin-Lim (phase.h), then peak-normalises the clip gently.
 *
 * Prompts are space-separated tag words from the model's vocabulary
 * ("electric piano C4 soft"); multi-word tags are matched greedily, the
 * longest first. Unknown words are an error that names them and the
 * closest known tags; they are never dropped silently.
 *
 * Clips longer than one window are made by continuation (outpainting):
 * each next window is sampled with its first `overlap` frames held to the
 * previous window's last frames (RePaint-style replacement at every step),
 * and the windows are cross-faded. */
#ifndef DRIFT_AUDIO_SOUND_H
#define DRIFT_AUDIO_SOUND_H

#include <stddef.h>
#include <stdint.h>

#include "drift.h"

typedef struct drift_sound_params {
    int sample_rate;        /* Hz; 22050 */
    int n_fft, hop, n_mels; /* 1024, 256, 80 */
    int frames;             /* mel frames per window; 128 (~1.49 s) */
    float fmin, fmax;       /* mel range in Hz; 0, 11025 */
    float db_lo, db_hi;     /* log-mel dB clipped to [db_lo, db_hi] maps onto [-1, 1] */
    int griffin_lim_iters;  /* 32 */
    int base_note;          /* MIDI note of the model's sounds when it has no pitch tags; 60 */
} drift_sound_params;

/* The documented defaults above; db_lo -100, db_hi 60 (mel.h's default)
 * until a data set fits them. */
drift_status drift_sound_params_default(drift_sound_params *p);

/* Checks ranges (rates, sizes, n_mels <= n_fft/2+1, db_lo < db_hi, ...). */
drift_status drift_sound_params_check(const drift_sound_params *p);

/* Parses the task JSON of a model; fails clearly when the model is not a
 * sound model (no task, or another kind) or a field is out of range. */
drift_status drift_sound_params_from_model(const drift_model *m, drift_sound_params *p);
drift_status drift_sound_params_from_json(const char *task_json, drift_sound_params *p);

/* {"kind": "sound", ...} (malloc'd), or NULL when out of memory. */
char *drift_sound_params_to_json(const drift_sound_params *p);

/* Samples one clip of the model's window: p->hop * (p->frames - 1) + 1,
 * i.e. the length whose centred STFT has exactly p->frames frames. */
size_t drift_sound_window_samples(const drift_sound_params *p);

/* Prompt -> tag ids: tag_ids (max_tags of the model), -1 padded. An empty
 * or NULL prompt gives all -1 (unconditional). More tags than max_tags,
 * unknown words, or a model without tags fail with DRIFT_ERR_ARG and a
 * message naming the words and the closest known tags. */
drift_status drift_sound_prompt(const drift_model *m, const char *prompt, int *tag_ids);

/* The closest vocabulary entries to `word` by edit distance, written as
 * "a, b, c" into buf (up to `count` of them). */
void drift_sound_suggest(const drift_model *m, const char *word, int count, char *buf, size_t cap);

typedef struct drift_sound_request {
    const char *prompt;  /* tags; NULL or "" = unconditional */
    int class_id;        /* class-conditional models; -1 = none */
    uint64_t seed;       /* clip i uses seed + i */
    int steps;           /* 0 = sampler default */
    drift_sampler_kind sampler;
    float guidance;      /* classifier-free guidance scale; 1 = off */
    int count;           /* variations (>= 1) */
    double seconds;      /* 0 = one window; longer by continuation */
    int overlap;         /* continuation overlap in frames; 0 = frames / 4 */
    void (*progress)(void *user, int step, int total);
    void *progress_user;
} drift_sound_request;

/* Defaults: unconditional, seed 0, DPM-Solver++(2M) at its default steps,
 * guidance 2 (tag models), count 1, one window. */
void drift_sound_request_defaults(drift_sound_request *rq);

/* A sound generator bound to one model: holds the STFT plans and mel
 * filterbank, so repeated generation (the plugin's worker) plans FFTW only
 * once. Create it off any real-time thread. The model must outlive it. */
typedef struct drift_sound_engine drift_sound_engine;

drift_status drift_sound_engine_create(drift_model *m, drift_sound_engine **out);
/* An engine without a model: encode and decode only (data sets, tests). */
drift_status drift_sound_engine_create_params(const drift_sound_params *p, drift_sound_engine **out);
void drift_sound_engine_free(drift_sound_engine *e);
const drift_sound_params *drift_sound_engine_params(const drift_sound_engine *e);

/* Generates rq->count mono clips at params.sample_rate: *audio is malloc'd
 * (count * *frames floats, clip after clip), *frames the samples per clip.
 * On failure *audio is NULL. */
drift_status drift_sound_engine_generate(drift_sound_engine *e, const drift_sound_request *rq, float **audio,
                                         size_t *frames);

/* One-shot form: creates an engine, generates, frees it. */
drift_status drift_sound_generate(drift_model *m, const drift_sound_request *rq, float **audio, size_t *frames);

/* Representation, both ways; shared by data sets, generation and the
 * evaluation classifier.
 * Audio x: (n) -> normalised log-mel (n_mels, frames) in [-1, 1]; the
 * clip is cut or zero-padded to the window first. */
drift_status drift_sound_engine_encode(drift_sound_engine *e, const float *x, size_t n, float *mel);
/* Normalised log-mel (n_mels, n_frames) -> audio y of
 * hop * (n_frames - 1) + 1 samples (Griffin-Lim with `seed`). */
drift_status drift_sound_engine_decode(drift_sound_engine *e, const float *mel, int n_frames, uint64_t seed,
                                       float *y);

#endif
