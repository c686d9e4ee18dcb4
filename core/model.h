/* model.h: a usable model = configuration + parameters.
 *
 * The configuration (U-Net architecture, noise schedule, prediction type,
 * data normalisation, class names, tag vocabulary, and the front end's own
 * parameters as an opaque JSON object) travels inside the safetensors file
 * as metadata "drift.config", so one file is one usable model. */
#ifndef DRIFT_MODEL_H
#define DRIFT_MODEL_H

#include "safetensors.h"
#include "sampler.h"
#include "schedule.h"
#include "unet.h"

typedef struct drift_model_config {
    drift_unet_config unet;
    drift_beta_schedule schedule;
    int timesteps;            /* num_train_timesteps */
    bool zero_terminal_snr;
    drift_prediction prediction;
    float data_mean, data_std; /* the network sees (x - mean) / std */
    int n_classes;             /* = unet.n_classes; names below */
    char **class_names;
    int vocab_size;            /* = unet.vocab_size; tag words below */
    char **vocab;
    char *task_json;           /* the front end's parameters (JSON object), or NULL */
} drift_model_config;

typedef struct drift_model {
    drift_model_config cfg;
    drift_unet *net;
    drift_schedule sched;
} drift_model;

/* Sensible defaults around a U-Net configuration: cosine schedule over
 * 1000 steps, v-prediction, identity normalisation. */
drift_model_config drift_model_config_default(const drift_unet_config *unet);

/* Deep copies and frees of a configuration's strings. */
drift_status drift_model_config_copy(drift_model_config *dst, const drift_model_config *src);
void drift_model_config_clear(drift_model_config *c);

/* JSON text of a configuration (malloc'd) and back. Parsing checks types
 * and ranges and names the offending field. */
char *drift_model_config_to_json(const drift_model_config *c);
drift_status drift_model_config_from_json(const char *json, drift_model_config *out);

/* Builds a model with freshly initialised weights (the config is copied). */
drift_status drift_model_create(const drift_model_config *cfg, uint64_t seed, drift_model **out);
void drift_model_free(drift_model *m);

/* Loads a drift model file (any precision), or saves one atomically. */
drift_status drift_model_load(const char *path, drift_model **out);
drift_status drift_model_save(const drift_model *m, const char *path, drift_st_dtype dtype);
/* Replaces m's weights by those of the model file at path (fine-tuning
 * from a trained model): the file must hold exactly m's tensors, shape for
 * shape; on an error m is unchanged and the message names the tensor. */
drift_status drift_model_load_weights(drift_model *m, const char *path);

/* Tag id of a word (-1 if unknown); class id of a name (-1 if unknown). */
int drift_model_tag_id(const drift_model *m, const char *word);
int drift_model_class_id(const drift_model *m, const char *name);

/* ---- sampling --------------------------------------------------------- */

/* Per-sample conditioning for sampling; every field optional. */
typedef struct drift_sample_cond {
    const int *class_ids; /* (batch) -1 = unconditional */
    const int *tag_ids;   /* (batch, unet.max_tags), -1 padded */
    const float *extra;   /* (batch, cond_channels, spatial...) already normalised */
} drift_sample_cond;

/* Runs the sampler with the model as denoiser. spatial: L, or H and W.
 * x: (batch, in_channels, spatial...) receives the samples, in data units
 * (de-normalised). max_rows bounds the rows of one network call (memory);
 * 0 picks a default. */
drift_status drift_model_sample(drift_model *m, const drift_sampler_options *o, int batch,
                                const int *spatial, const drift_sample_cond *cond, int max_rows,
                                float *x);

/* The model's denoiser for samplers that a task wraps (guidance,
 * inpainting, ...). Create, use d->fn through drift_sample, free. */
typedef struct drift_model_denoiser drift_model_denoiser;
drift_status drift_model_denoiser_create(drift_model *m, const int *spatial, int batch,
                                         const drift_sample_cond *cond, int max_rows,
                                         drift_model_denoiser **out, drift_denoiser *d);
void drift_model_denoiser_free(drift_model_denoiser *md);

/* Values per sample: in_channels * prod(spatial). */
size_t drift_model_sample_dim(const drift_model *m, const int *spatial);

#endif
