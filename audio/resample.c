/* resample.c: sample-rate conversion with soxr (see resample.h). */
#include "resample.h"

#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

size_t drift_resample_length(size_t in_frames, int in_rate, int out_rate)
{
    if (in_rate <= 0 || out_rate <= 0)
        return 0;
    return (size_t)floor((double)in_frames * out_rate / in_rate + 0.5);
}

drift_status drift_resample(const float *in, size_t in_frames, int channels, int in_rate, int out_rate, float *out)
{
    if (in_rate < 1 || out_rate < 1 || in_rate > DRIFT_AUDIO_MAX_RATE || out_rate > DRIFT_AUDIO_MAX_RATE ||
        channels < 1 || channels > DRIFT_AUDIO_MAX_CHANNELS)
        return drift_fail(DRIFT_ERR_ARG, "cannot resample %d channels from %d Hz to %d Hz", channels, in_rate,
                          out_rate);
    size_t out_frames = drift_resample_length(in_frames, in_rate, out_rate);
    if (in_rate == out_rate) {
        memcpy(out, in, in_frames * (size_t)channels * sizeof *out);
        return DRIFT_OK;
    }
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    size_t done_in = 0, done_out = 0;
    soxr_error_t err = soxr_oneshot((double)in_rate, (double)out_rate, (unsigned)channels, in, in_frames, &done_in,
                                    out, out_frames, &done_out, &io, &q, NULL);
    if (err)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "resampling %d Hz to %d Hz failed: %s", in_rate, out_rate, err);
    if (done_out < out_frames)
        memset(out + done_out * (size_t)channels, 0, (out_frames - done_out) * (size_t)channels * sizeof *out);
    return DRIFT_OK;
}

drift_status drift_audio_resample(drift_audio *a, int rate)
{
    if (a->rate == rate)
        return DRIFT_OK;
    drift_audio r;
    drift_status s = drift_audio_alloc(&r, drift_resample_length(a->frames, a->rate, rate), a->channels, rate);
    if (s)
        return s;
    s = drift_resample(a->data, a->frames, a->channels, a->rate, rate, r.data);
    if (s) {
        drift_audio_free(&r);
        return s;
    }
    drift_audio_free(a);
    *a = r;
    return DRIFT_OK;
}
