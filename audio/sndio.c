/* sndio.c: audio files through libsndfile (see sndio.h). */
#include "sndio.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

drift_status drift_audio_alloc(drift_audio *a, size_t frames, int channels, int rate)
{
    memset(a, 0, sizeof *a);
    if (channels < 1 || channels > DRIFT_AUDIO_MAX_CHANNELS || rate < 1 || rate > DRIFT_AUDIO_MAX_RATE)
        return drift_fail(DRIFT_ERR_ARG, "audio needs 1..%d channels and 1..%d Hz, got %d channels at %d Hz",
                          DRIFT_AUDIO_MAX_CHANNELS, DRIFT_AUDIO_MAX_RATE, channels, rate);
    if (frames > DRIFT_AUDIO_MAX_SAMPLES / (size_t)channels)
        return drift_fail(DRIFT_ERR_ARG, "audio of %zu frames x %d channels is too large", frames, channels);
    a->data = calloc(frames ? frames * (size_t)channels : 1, sizeof *a->data);
    if (!a->data)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for %zu frames of audio", frames);
    a->frames = frames;
    a->channels = channels;
    a->rate = rate;
    return DRIFT_OK;
}

void drift_audio_free(drift_audio *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

static drift_status open_failure(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return drift_fail(DRIFT_ERR_IO, "cannot open audio file '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return drift_fail(DRIFT_ERR_IO, "'%s' is a folder, not an audio file", path);
    if (st.st_size == 0)
        return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' is empty", path);
    return drift_fail(DRIFT_ERR_FORMAT, "cannot read audio file '%s': %s", path, sf_strerror(NULL));
}

static drift_status check_header(const char *path, const SF_INFO *info)
{
    if (info->channels < 1 || info->channels > DRIFT_AUDIO_MAX_CHANNELS)
        return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' declares %d channels (drift reads 1..%d)", path,
                          info->channels, DRIFT_AUDIO_MAX_CHANNELS);
    if (info->samplerate < 1 || info->samplerate > DRIFT_AUDIO_MAX_RATE)
        return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' declares a sample rate of %d Hz (drift reads 1..%d)",
                          path, info->samplerate, DRIFT_AUDIO_MAX_RATE);
    if (info->frames <= 0)
        return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' holds no audio frames", path);
    if ((unsigned long long)info->frames > DRIFT_AUDIO_MAX_SAMPLES / (unsigned)info->channels)
        return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' declares %lld frames x %d channels, more than drift "
                          "reads (%zu samples)", path, (long long)info->frames, info->channels,
                          DRIFT_AUDIO_MAX_SAMPLES);
    return DRIFT_OK;
}

/* libsndfile quietly shortens a WAV/AIFF whose data chunk claims more than
 * the file holds, and logs "data : CLAIMED (should be PRESENT)" (SSND for
 * AIFF). A claim of 0 or 0xFFFFFFFF means "length unknown" (streamed
 * files) and is not an error. */
static bool header_overstates_length(SNDFILE *f)
{
    char log[8192];
    sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
    if (strstr(log, "seems to be truncated"))
        return true;
    for (const char *line = log; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        while (*line == ' ')
            line++;
        unsigned long long claimed, present;
        if ((!strncmp(line, "data :", 6) || !strncmp(line, "SSND :", 6)) &&
            sscanf(line + 6, "%llu (should be %llu)", &claimed, &present) == 2 && claimed > present &&
            claimed != 0xFFFFFFFFull)
            return true;
    }
    return false;
}

/* Reads up to `declared` frames, growing the buffer as data arrives, so a
 * lying header cannot make drift allocate more than the file holds. */
static drift_status read_frames(const char *path, SNDFILE *f, const SF_INFO *info, drift_audio *out)
{
    size_t ch = (size_t)info->channels, declared = (size_t)info->frames, cap = 0, got = 0;
    float *data = NULL;
    for (;;) {
        if (got == cap) {
            size_t want = cap ? cap * 2 : 65536;
            if (want > declared)
                want = declared;
            if (want == cap)
                break;
            float *grown = realloc(data, want * ch * sizeof *data);
            if (!grown) {
                free(data);
                return drift_fail(DRIFT_ERR_NOMEM, "out of memory reading '%s' (%zu frames)", path, want);
            }
            data = grown;
            cap = want;
        }
        sf_count_t n = sf_readf_float(f, data + got * ch, (sf_count_t)(cap - got));
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    int err = sf_error(f);
    if (err != SF_ERR_NO_ERROR || got < declared) {
        free(data);
        if (err != SF_ERR_NO_ERROR)
            return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' is corrupt after frame %zu: %s", path, got,
                              sf_error_number(err));
        return drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' is truncated: its header announces %zu frames but "
                          "only %zu could be read", path, declared, got);
    }
    out->data = data;
    out->frames = got;
    out->channels = info->channels;
    out->rate = info->samplerate;
    return DRIFT_OK;
}

drift_status drift_audio_read(const char *path, drift_audio *out)
{
    memset(out, 0, sizeof *out);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return open_failure(path);
    drift_status s = check_header(path, &info);
    if (!s && header_overstates_length(f))
        s = drift_fail(DRIFT_ERR_FORMAT, "audio file '%s' is truncated: its header announces more data than the "
                       "file holds", path);
    if (!s)
        s = read_frames(path, f, &info, out);
    sf_close(f);
    return s;
}

static const struct {
    const char *name;
    int sf_format;
} formats[] = {
    [DRIFT_AUDIO_WAV16] = {"wav16", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    [DRIFT_AUDIO_WAV24] = {"wav24", SF_FORMAT_WAV | SF_FORMAT_PCM_24},
    [DRIFT_AUDIO_WAV_FLOAT] = {"wavf32", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
    [DRIFT_AUDIO_FLAC16] = {"flac16", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    [DRIFT_AUDIO_FLAC24] = {"flac24", SF_FORMAT_FLAC | SF_FORMAT_PCM_24},
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

drift_status drift_audio_format_parse(const char *name, drift_audio_format *out)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (!strcmp(name, formats[i].name)) {
            *out = (drift_audio_format)i;
            return DRIFT_OK;
        }
    if (!strcmp(name, "float")) {
        *out = DRIFT_AUDIO_WAV_FLOAT;
        return DRIFT_OK;
    }
    return drift_fail(DRIFT_ERR_ARG, "unknown audio format '%s' (expected wav16, wav24, wavf32, flac16 or flac24)",
                      name);
}

drift_audio_format drift_audio_format_for_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strcasecmp(dot, ".flac") ? DRIFT_AUDIO_FLAC24 : DRIFT_AUDIO_WAV16;
}

static drift_status check_writable(const char *path, const drift_audio *a, drift_audio_format format)
{
    if ((unsigned)format >= N_FORMATS)
        return drift_fail(DRIFT_ERR_ARG, "unknown audio format %d for '%s'", (int)format, path);
    if (!a->data || a->frames == 0)
        return drift_fail(DRIFT_ERR_ARG, "no audio to write to '%s'", path);
    size_t n = a->frames * (size_t)a->channels;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a->data[i]))
            return drift_fail(DRIFT_ERR_NUMERIC, "sample %zu (frame %zu) of the audio for '%s' is not finite", i,
                              i / (size_t)a->channels, path);
    return DRIFT_OK;
}

static drift_status write_to(const char *tmp, const char *path, const drift_audio *a, SF_INFO *info)
{
    SNDFILE *f = sf_open(tmp, SFM_WRITE, info);
    if (!f)
        return drift_fail(DRIFT_ERR_IO, "cannot write audio file '%s': %s", path, sf_strerror(NULL));
    sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
    sf_count_t n = sf_writef_float(f, a->data, (sf_count_t)a->frames);
    drift_status s = DRIFT_OK;
    if (n != (sf_count_t)a->frames)
        s = drift_fail(DRIFT_ERR_IO, "writing '%s' stopped after %lld of %zu frames: %s", path, (long long)n,
                       a->frames, sf_strerror(f));
    if (sf_close(f) != 0 && !s)
        s = drift_fail(DRIFT_ERR_IO, "cannot finish audio file '%s'", path);
    return s;
}

drift_status drift_audio_write(const char *path, const drift_audio *a, drift_audio_format format)
{
    drift_status s = check_writable(path, a, format);
    if (s)
        return s;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.channels = a->channels;
    info.samplerate = a->rate;
    info.format = formats[format].sf_format;
    if (!sf_format_check(&info))
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "%s cannot hold %d channels at %d Hz (writing '%s')",
                          formats[format].name, a->channels, a->rate, path);
    drift_atomic_file af;
    s = drift_atomic_reserve(&af, path);
    if (s)
        return s;
    s = write_to(af.tmp_path, path, a, &info);
    if (s) {
        drift_atomic_abort(&af);
        return s;
    }
    return drift_atomic_commit(&af);
}

void drift_audio_channel(const drift_audio *a, int c, float *out)
{
    size_t ch = (size_t)a->channels;
    for (size_t i = 0; i < a->frames; i++)
        out[i] = a->data[i * ch + (size_t)c];
}

void drift_audio_mix_mono(const drift_audio *a, float *out)
{
    size_t ch = (size_t)a->channels;
    float scale = 1.0f / (float)a->channels;
    for (size_t i = 0; i < a->frames; i++) {
        float s = 0;
        for (size_t c = 0; c < ch; c++)
            s += a->data[i * ch + c];
        out[i] = s * scale;
    }
}
