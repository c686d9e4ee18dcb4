/* resample.h: sample-rate conversion with soxr (SoX's resampler) at its
 * high-quality setting (SOXR_HQ: 20-bit precision, linear phase,
 * passband to 91% of the lower Nyquist frequency). */
#ifndef DRIFT_AUDIO_RESAMPLE_H
#define DRIFT_AUDIO_RESAMPLE_H

#include <stddef.h>

#include "drift.h"
#include "sndio.h"

/* Frames produced from in_frames at the two rates: round(in * out / in). */
size_t drift_resample_length(size_t in_frames, int in_rate, int out_rate);

/* in: (in_frames, channels) interleaved at in_rate -> out:
 * (drift_resample_length(...), channels) at out_rate. The filter delay is
 * compensated, so out is time-aligned with in. */
drift_status drift_resample(const float *in, size_t in_frames, int channels, int in_rate, int out_rate,
                            float *out);

/* a resampled in place to rate (no-op if equal). */
drift_status drift_audio_resample(drift_audio *a, int rate);

#endif
