/* playback.h: playing audio through PortAudio.
 *
 * A drift_player owns an output stream whose callback only copies samples
 * out of a lock-free ring (ring.h) and counts frames: no allocation,
 * locking or I/O in the callback. The caller's thread fills the ring with
 * drift_player_write(), which waits while the ring is full.
 *
 * drift_play_audio() is the one-call version other commands use for
 * `--play`: it picks the device, resamples to a rate the device accepts and
 * folds extra channels onto the device's outputs.
 *
 * Devices are chosen by NULL/"" (the default output, or else the first
 * device with outputs), a decimal index as `drift devices` lists it, or a
 * case-insensitive part of "[host API] device name" (e.g. "jack"). With no
 * output device at all, functions fail with DRIFT_ERR_DEVICE and a message
 * saying so. */
#ifndef DRIFT_AUDIO_PLAYBACK_H
#define DRIFT_AUDIO_PLAYBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"
#include "sndio.h"

typedef struct drift_audio_device {
    int index;
    char name[128];
    char host[64];       /* host API, e.g. "JACK Audio Connection Kit" */
    int max_outputs;
    double default_rate;
    bool is_default;
} drift_audio_device;

/* The output devices (those with at least one output channel). *list is
 * malloc'd (free it); *count may be 0. */
drift_status drift_audio_devices(drift_audio_device **list, int *count);

typedef struct drift_player drift_player;

/* Opens and starts a stream on `device` at `rate` Hz if the device accepts
 * it (else at the device's default rate), with min(channels, device
 * outputs) channels. Check drift_player_rate/_channels for what was
 * granted. */
drift_status drift_player_open(drift_player **out, const char *device, int rate, int channels);
int drift_player_rate(const drift_player *p);
int drift_player_channels(const drift_player *p);
/* "[host] name" of the device in use. */
const char *drift_player_device_name(const drift_player *p);

/* Queues frames (frames, drift_player_channels) interleaved, waiting while
 * the ring is full. Fails if the stream stops consuming for 5 seconds. */
drift_status drift_player_write(drift_player *p, const float *data, size_t frames);
/* Marks the end of the audio and waits until all of it has been played. */
drift_status drift_player_finish(drift_player *p);
/* Frames the callback has handed to the device so far (real audio only,
 * not the silence of underruns). */
size_t drift_player_frames_played(const drift_player *p);
/* Callback periods that found the ring empty before the end. */
size_t drift_player_underruns(const drift_player *p);
/* Stops (if needed) and closes the stream. */
void drift_player_close(drift_player *p);

/* Called from drift_play_audio between chunks: frames played so far. */
typedef void (*drift_play_progress_fn)(void *ctx, size_t played, size_t total);

/* Plays a whole clip and waits for the end. *frames_played (if not NULL)
 * receives the frames played at the device's rate. */
drift_status drift_play_audio(const drift_audio *a, const char *device, drift_play_progress_fn progress, void *ctx,
                              size_t *frames_played);

#endif
