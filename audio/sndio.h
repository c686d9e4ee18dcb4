/* sndio.h: reading and writing audio files through libsndfile.
 *
 * Any format libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, AIFF, CAF,
 * MP3, ...), any channel count up to DRIFT_AUDIO_MAX_CHANNELS and any rate
 * in [1, DRIFT_AUDIO_MAX_RATE] Hz, decoded to float samples in [-1, 1]
 * (integer formats are normalised by libsndfile). Samples are INTERLEAVED:
 * data[frame * channels + channel]. drift_audio_channel() extracts one
 * channel (planar) and drift_audio_mix_mono() averages them.
 *
 * Writing produces WAV (16/24-bit PCM or 32-bit float) or FLAC (16/24-bit),
 * atomically (a temporary file beside the destination, renamed when
 * complete). Integer formats clip out-of-range samples to full scale rather
 * than wrapping around. */
#ifndef DRIFT_AUDIO_SNDIO_H
#define DRIFT_AUDIO_SNDIO_H

#include <stddef.h>

#include "drift.h"

#define DRIFT_AUDIO_MAX_CHANNELS 1024
#define DRIFT_AUDIO_MAX_RATE 1536000
/* Largest file drift decodes: 2^31 samples (8 GiB of floats). */
#define DRIFT_AUDIO_MAX_SAMPLES ((size_t)1 << 31)

typedef struct drift_audio {
    float *data;    /* (frames, channels) interleaved; malloc'd */
    size_t frames;
    int channels;
    int rate;       /* Hz */
} drift_audio;

typedef enum drift_audio_format {
    DRIFT_AUDIO_WAV16,
    DRIFT_AUDIO_WAV24,
    DRIFT_AUDIO_WAV_FLOAT,
    DRIFT_AUDIO_FLAC16,
    DRIFT_AUDIO_FLAC24,
} drift_audio_format;

/* Allocates data for frames x channels (zeroed). */
drift_status drift_audio_alloc(drift_audio *a, size_t frames, int channels, int rate);
void drift_audio_free(drift_audio *a);

/* Reads a whole file. Fails with a message naming the file if it cannot be
 * opened or decoded, declares an absurd rate or channel count, holds no
 * audio, or ends before the frames its header announces. */
drift_status drift_audio_read(const char *path, drift_audio *out);

/* Writes a whole file atomically. */
drift_status drift_audio_write(const char *path, const drift_audio *a, drift_audio_format format);

/* "wav16", "wav24", "wavf32" (or "float"), "flac16", "flac24". */
drift_status drift_audio_format_parse(const char *name, drift_audio_format *out);
/* The format a file name suggests: .flac -> FLAC24, otherwise WAV16. */
drift_audio_format drift_audio_format_for_path(const char *path);

/* Planar copy of channel c: out (frames). */
void drift_audio_channel(const drift_audio *a, int c, float *out);
/* Average of all channels: out (frames). */
void drift_audio_mix_mono(const drift_audio *a, float *out);

#endif
