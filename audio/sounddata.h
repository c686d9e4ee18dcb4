/* sounddata.h: drift's sound data sets: manifests, importing a user's WAV folder, and the training data
 * source over normalised log-mel spectrograms. (fluid.h renders the General
 * MIDI data set into this format.)
 *
 * A manifest is a CSV file with the header
 *     file,tags,family,pitch,velocity,split
 * file: audio path relative to the manifest's folder; tags: tag words
 * separated by ';' (a tag may hold spaces, e.g. "electric piano");
 * family: the tag that names the instrument family (or empty); pitch: MIDI
 * note or -1; velocity: MIDI velocity or -1; split: "train" or "test".
 * Fields hold no commas or quotes. The split is a pure function of the
 * file name (FNV-1a hash; one item in ten is held out). */
#ifndef DRIFT_AUDIO_SOUNDDATA_H
#define DRIFT_AUDIO_SOUNDDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"
#include "sound.h"

#define DRIFT_SOUND_MAX_TAGS 8

typedef struct drift_sound_item {
    char *file;                        /* relative to the manifest's folder */
    char *tags[DRIFT_SOUND_MAX_TAGS];
    int n_tags;
    char *family;                      /* "" when unknown */
    int pitch, velocity;               /* -1 when unknown */
    bool test;                         /* held out from training */
} drift_sound_item;

typedef struct drift_sound_manifest {
    drift_sound_item *items;
    int n, cap;
    char *dir; /* folder of the manifest file */
} drift_sound_manifest;

drift_status drift_sound_manifest_load(const char *path, drift_sound_manifest *out);
/* Writes atomically. */
drift_status drift_sound_manifest_write(const char *path, const drift_sound_manifest *m);
void drift_sound_manifest_free(drift_sound_manifest *m);
/* Appends a copy of item (the split is set from the file name). */
drift_status drift_sound_manifest_add(drift_sound_manifest *m, const drift_sound_item *item);
/* True for the one item in ten held out (from the file name alone). */
bool drift_sound_split_is_test(const char *file);

/* "C4" for MIDI 60, sharps for black keys ("F#3"); buf >= 8 bytes. */
void drift_pitch_name(int midi, char *buf);
/* "soft" (< 60), "medium" (< 100) or "hard". */
const char *drift_velocity_word(int velocity);
/* What kind of tag a word is: "pitch", "velocity", "family", "kit" or
 * "instrument" (anything else). */
const char *drift_sound_tag_kind(const char *tag);

/* ---- building data sets ---------------------------------------------------- */

/* Imports a folder of audio files: each is mixed to mono, resampled to the
 * parameters' rate, cut or padded to one window, and written as WAV into
 * OUT/ with OUT/manifest.csv. Tags come from tags_csv (lines
 * "file,tag;tag;...", file names relative to the folder) when given, else
 * from the file name split at '-', '_' and spaces (lower case; numbers
 * alone are skipped). */
drift_status drift_sound_import(const char *wav_dir, const char *out_dir, const char *tags_csv,
                                const drift_sound_params *params, int *clips);

/* ---- training data --------------------------------------------------------- */

/* The log-mel spectrograms of a manifest's clips, in memory. */
typedef struct drift_sound_set {
    int n;                 /* clips */
    int n_mels, frames;
    float *mels;           /* (n, n_mels, frames): dB until normalised, then [-1, 1] */
    drift_sound_item *items; /* borrowed from the manifest */
    bool normalized;
} drift_sound_set;

/* Loads the clips of a manifest (split: 0 train, 1 test, -1 all) as dB
 * log-mels with p's representation (p->db_lo/db_hi are not used yet).
 * The manifest must outlive the set. */
drift_status drift_sound_set_load(const drift_sound_manifest *man, const drift_sound_params *p, int split,
                                  drift_sound_set *out);
void drift_sound_set_free(drift_sound_set *s);
/* db_hi = the loudest cell of the set (rounded up to 1 dB), db_lo =
 * db_hi - range_db, written into p. */
void drift_sound_set_fit(const drift_sound_set *s, float range_db, drift_sound_params *p);
/* dB -> [-1, 1] with p's db_lo/db_hi (once). */
void drift_sound_set_normalize(drift_sound_set *s, const drift_sound_params *p);

/* The sorted, distinct tags of a set: *vocab malloc'd strings. */
drift_status drift_sound_set_vocab(const drift_sound_set *s, char ***vocab, int *n);
void drift_sound_vocab_free(char **vocab, int n);
/* Tag ids of clip i against a sorted vocabulary: ids (max_tags), -1 padded. */
void drift_sound_set_tag_ids(const drift_sound_set *s, int i, char *const *vocab, int n_vocab, int max_tags,
                             int *ids);

/* The training data source: batches of random training clips, in network
 * units ((x - mean) / std), with their tag ids when max_tags > 0. */
typedef struct drift_sound_source_options {
    const char *manifest;
    drift_sound_params params; /* representation; db_lo/db_hi fitted here */
    float range_db;            /* dynamic range kept below the loudest cell (80) */
    int max_tags;              /* 0 = unconditional */
    float data_mean, data_std; /* network units (0, 1: the [-1, 1] mel as is) */
} drift_sound_source_options;

typedef struct drift_sound_source drift_sound_source;

drift_status drift_sound_source_create(const drift_sound_source_options *o, drift_sound_source **out);
void drift_sound_source_free(drift_sound_source *src);
drift_data_source drift_sound_source_data(drift_sound_source *src);
/* Fitted parameters, their task JSON (owned by the source) and the vocabulary. */
const drift_sound_params *drift_sound_source_params(const drift_sound_source *src);
const char *drift_sound_source_task_json(const drift_sound_source *src);
char **drift_sound_source_vocab(const drift_sound_source *src, int *n);
int drift_sound_source_clips(const drift_sound_source *src);

#endif
