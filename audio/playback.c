/* playback.c: PortAudio output fed by a lock-free ring (see playback.h). */
#include "playback.h"

#include "resample.h"
#include "ring.h"

#include <ctype.h>
#include <portaudio.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

struct drift_player {
    PaStream *stream;
    drift_ring *ring;
    int rate, channels;
    atomic_size_t played;
    atomic_size_t underruns;
    atomic_bool finished;   /* producer: no more audio will come */
    char device_name[200];
};

#define STALL_SECONDS 5.0

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* PortAudio's host APIs probe ALSA and JACK when it starts, and those
 * libraries print pages of diagnostics to stderr on a machine without a
 * sound card. drift reports problems itself, so stderr is muted while
 * PortAudio starts unless DRIFT_AUDIO_DEBUG is set. */
static PaError initialize_quietly(void)
{
    if (getenv("DRIFT_AUDIO_DEBUG"))
        return Pa_Initialize();
    fflush(stderr);
    int saved = dup(STDERR_FILENO), null_fd = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null_fd >= 0)
        dup2(null_fd, STDERR_FILENO);
    PaError e = Pa_Initialize();
    if (saved >= 0 && null_fd >= 0)
        dup2(saved, STDERR_FILENO);
    if (saved >= 0)
        close(saved);
    if (null_fd >= 0)
        close(null_fd);
    return e;
}

static drift_status start_portaudio(void)
{
    PaError e = initialize_quietly();
    if (e != paNoError)
        return drift_fail(DRIFT_ERR_DEVICE, "audio output unavailable: PortAudio could not start: %s",
                          Pa_GetErrorText(e));
    return DRIFT_OK;
}

static void describe_device(int index, char *buf, size_t size)
{
    const PaDeviceInfo *d = Pa_GetDeviceInfo(index);
    const PaHostApiInfo *h = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;
    snprintf(buf, size, "[%s] %s", h ? h->name : "?", d ? d->name : "?");
}

static bool has_outputs(int index)
{
    const PaDeviceInfo *d = Pa_GetDeviceInfo(index);
    return d && d->maxOutputChannels > 0;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

static drift_status device_by_spec(const char *spec, int count, int *out)
{
    char *end;
    long idx = strtol(spec, &end, 10);
    if (*spec && *end == '\0') {
        if (idx < 0 || idx >= count || !has_outputs((int)idx))
            return drift_fail(DRIFT_ERR_DEVICE, "no audio output device number %s (see `drift devices`)", spec);
        *out = (int)idx;
        return DRIFT_OK;
    }
    char label[200];
    for (int i = 0; i < count; i++) {
        describe_device(i, label, sizeof label);
        if (has_outputs(i) && contains_nocase(label, spec)) {
            *out = i;
            return DRIFT_OK;
        }
    }
    return drift_fail(DRIFT_ERR_DEVICE, "no audio output device matches '%s' (see `drift devices`)", spec);
}

/* Needs PortAudio started. */
static drift_status find_device(const char *spec, int *out)
{
    int count = Pa_GetDeviceCount();
    int first = -1;
    for (int i = 0; i < count && first < 0; i++)
        if (has_outputs(i))
            first = i;
    if (first < 0)
        return drift_fail(DRIFT_ERR_DEVICE, "no audio output device found: no sound card or sound server (JACK, "
                          "PulseAudio) is available");
    if (spec && *spec)
        return device_by_spec(spec, count, out);
    int def = Pa_GetDefaultOutputDevice();
    *out = def != paNoDevice && has_outputs(def) ? def : first;
    return DRIFT_OK;
}

drift_status drift_audio_devices(drift_audio_device **list, int *count)
{
    *list = NULL;
    *count = 0;
    drift_status s = start_portaudio();
    if (s)
        return s;
    int n = Pa_GetDeviceCount();
    drift_audio_device *devs = calloc(n > 0 ? (size_t)n : 1, sizeof *devs);
    if (!devs) {
        Pa_Terminate();
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory listing audio devices");
    }
    int def = Pa_GetDefaultOutputDevice(), k = 0;
    for (int i = 0; i < n; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (!d || d->maxOutputChannels <= 0)
            continue;
        const PaHostApiInfo *h = Pa_GetHostApiInfo(d->hostApi);
        drift_audio_device *o = &devs[k++];
        o->index = i;
        snprintf(o->name, sizeof o->name, "%s", d->name);
        snprintf(o->host, sizeof o->host, "%s", h ? h->name : "?");
        o->max_outputs = d->maxOutputChannels;
        o->default_rate = d->defaultSampleRate;
        o->is_default = i == def;
    }
    Pa_Terminate();
    *list = devs;
    *count = k;
    return DRIFT_OK;
}

/* The real-time callback: copy what the ring holds, pad with silence,
 * finish once the producer is done and the ring is empty. */
static int play_callback(const void *input, void *output, unsigned long frames,
                         const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags flags, void *user)
{
    (void)input, (void)time_info, (void)flags;
    drift_player *p = user;
    float *out = output;
    size_t want = frames * (size_t)p->channels;
    bool finished = atomic_load_explicit(&p->finished, memory_order_acquire);
    size_t got = drift_ring_read(p->ring, out, want);
    if (got < want)
        memset(out + got, 0, (want - got) * sizeof *out);
    atomic_fetch_add_explicit(&p->played, got / (size_t)p->channels, memory_order_relaxed);
    if (got < want && finished && drift_ring_available(p->ring) == 0)
        return paComplete;
    if (got < want && atomic_load_explicit(&p->played, memory_order_relaxed) > 0)
        atomic_fetch_add_explicit(&p->underruns, 1, memory_order_relaxed); /* not before the first audio */
    return paContinue;
}

static drift_status open_stream(drift_player *p, int device, int rate)
{
    const PaDeviceInfo *d = Pa_GetDeviceInfo(device);
    PaStreamParameters op = {.device = device, .channelCount = p->channels, .sampleFormat = paFloat32,
                             .suggestedLatency = d->defaultHighOutputLatency};
    p->rate = Pa_IsFormatSupported(NULL, &op, rate) == paFormatIsSupported ? rate : (int)d->defaultSampleRate;
    PaError e = Pa_OpenStream(&p->stream, NULL, &op, p->rate, paFramesPerBufferUnspecified, paClipOff,
                              play_callback, p);
    if (e == paNoError)
        e = Pa_StartStream(p->stream);
    if (e != paNoError)
        return drift_fail(DRIFT_ERR_DEVICE, "cannot play on %s at %d Hz, %d channels: %s", p->device_name, p->rate,
                          p->channels, Pa_GetErrorText(e));
    return DRIFT_OK;
}

drift_status drift_player_open(drift_player **out, const char *device, int rate, int channels)
{
    *out = NULL;
    if (rate < 1 || rate > DRIFT_AUDIO_MAX_RATE || channels < 1 || channels > DRIFT_AUDIO_MAX_CHANNELS)
        return drift_fail(DRIFT_ERR_ARG, "cannot play %d channels at %d Hz", channels, rate);
    drift_status s = start_portaudio();
    if (s)
        return s;
    drift_player *p = calloc(1, sizeof *p);
    int dev = -1;
    if (!p)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory opening audio output");
    if (!s)
        s = find_device(device, &dev);
    if (!s) {
        describe_device(dev, p->device_name, sizeof p->device_name);
        int max_out = Pa_GetDeviceInfo(dev)->maxOutputChannels;
        p->channels = channels < max_out ? channels : max_out;
        atomic_init(&p->played, 0);
        atomic_init(&p->underruns, 0);
        atomic_init(&p->finished, false);
        size_t cap = (size_t)rate * (size_t)p->channels / 2;
        s = drift_ring_create(&p->ring, cap < 16384 ? 16384 : cap);
    }
    if (!s)
        s = open_stream(p, dev, rate);
    if (s) {
        if (p && p->stream)
            Pa_CloseStream(p->stream);
        if (p)
            drift_ring_free(p->ring);
        free(p);
        Pa_Terminate();
        return s;
    }
    *out = p;
    return DRIFT_OK;
}

int drift_player_rate(const drift_player *p) { return p->rate; }
int drift_player_channels(const drift_player *p) { return p->channels; }
const char *drift_player_device_name(const drift_player *p) { return p->device_name; }
size_t drift_player_frames_played(const drift_player *p) { return atomic_load(&p->played); }
size_t drift_player_underruns(const drift_player *p) { return atomic_load(&p->underruns); }

/* Fails when the stream has stopped or made no progress for a while;
 * updates the progress marks. */
static drift_status check_alive(drift_player *p, size_t *last_played, double *last_time)
{
    size_t played = drift_player_frames_played(p);
    double t = now_seconds();
    if (played != *last_played) {
        *last_played = played;
        *last_time = t;
        return DRIFT_OK;
    }
    if (t - *last_time > STALL_SECONDS)
        return drift_fail(DRIFT_ERR_DEVICE, "audio output on %s stalled: no frames played for %.0f s",
                          p->device_name, STALL_SECONDS);
    return DRIFT_OK;
}

drift_status drift_player_write(drift_player *p, const float *data, size_t frames)
{
    size_t ch = (size_t)p->channels, last = drift_player_frames_played(p);
    double last_time = now_seconds();
    while (frames) {
        size_t space = drift_ring_space(p->ring) / ch;
        if (space == 0) {
            if (Pa_IsStreamActive(p->stream) != 1)
                return drift_fail(DRIFT_ERR_DEVICE, "audio output on %s stopped", p->device_name);
            drift_status s = check_alive(p, &last, &last_time);
            if (s)
                return s;
            Pa_Sleep(5);
            continue;
        }
        size_t n = space < frames ? space : frames;
        drift_ring_write(p->ring, data, n * ch);
        data += n * ch;
        frames -= n;
    }
    return DRIFT_OK;
}

drift_status drift_player_finish(drift_player *p)
{
    atomic_store_explicit(&p->finished, true, memory_order_release);
    size_t last = drift_player_frames_played(p);
    double last_time = now_seconds();
    while (Pa_IsStreamActive(p->stream) == 1) {
        drift_status s = check_alive(p, &last, &last_time);
        if (s)
            return s;
        Pa_Sleep(10);
    }
    Pa_StopStream(p->stream);
    return DRIFT_OK;
}

void drift_player_close(drift_player *p)
{
    if (!p)
        return;
    if (Pa_IsStreamStopped(p->stream) == 0)
        Pa_AbortStream(p->stream);
    Pa_CloseStream(p->stream);
    drift_ring_free(p->ring);
    free(p);
    Pa_Terminate();
}

/* Frames [begin, begin+n) of a, with channel c folded onto output c % out_ch
 * (averaged): out (n, out_ch). */
static void fold_channels(const drift_audio *a, size_t begin, size_t n, int out_ch, float *out)
{
    int ch = a->channels;
    memset(out, 0, n * (size_t)out_ch * sizeof *out);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < ch; c++)
            out[i * out_ch + c % out_ch] += a->data[(begin + i) * ch + c];
    for (int o = 0; o < out_ch; o++) {
        int sources = ch / out_ch + (o < ch % out_ch);
        for (size_t i = 0; sources > 1 && i < n; i++)
            out[i * out_ch + o] /= (float)sources;
    }
}

static drift_status stream_clip(drift_player *p, const drift_audio *a, drift_play_progress_fn progress, void *ctx)
{
    enum { CHUNK = 4096 };
    int out_ch = drift_player_channels(p);
    float *buf = malloc((size_t)CHUNK * out_ch * sizeof *buf);
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for playback");
    drift_status s = DRIFT_OK;
    for (size_t at = 0; at < a->frames && !s; at += CHUNK) {
        size_t n = a->frames - at < CHUNK ? a->frames - at : CHUNK;
        fold_channels(a, at, n, out_ch, buf);
        s = drift_player_write(p, buf, n);
        if (progress)
            progress(ctx, drift_player_frames_played(p), a->frames);
    }
    free(buf);
    if (!s)
        s = drift_player_finish(p);
    if (progress)
        progress(ctx, drift_player_frames_played(p), a->frames);
    return s;
}

drift_status drift_play_audio(const drift_audio *a, const char *device, drift_play_progress_fn progress, void *ctx,
                              size_t *frames_played)
{
    if (frames_played)
        *frames_played = 0;
    drift_player *p;
    drift_status s = drift_player_open(&p, device, a->rate, a->channels);
    if (s)
        return s;
    drift_audio resampled = {0};
    const drift_audio *clip = a;
    if (drift_player_rate(p) != a->rate) {
        s = drift_audio_alloc(&resampled, drift_resample_length(a->frames, a->rate, drift_player_rate(p)),
                              a->channels, drift_player_rate(p));
        if (!s)
            s = drift_resample(a->data, a->frames, a->channels, a->rate, resampled.rate, resampled.data);
        clip = &resampled;
    }
    if (!s)
        s = stream_clip(p, clip, progress, ctx);
    if (frames_played)
        *frames_played = drift_player_frames_played(p);
    drift_player_close(p);
    drift_audio_free(&resampled);
    return s;
}
