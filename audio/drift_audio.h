/* drift_audio.h: the public header of drift's audio front end
 * (libdrift_audio): files, resampling, STFT, mel spectrograms, phase
 * recovery, the real-time ring and playback. Uses only core/ (drift.h). */
#ifndef DRIFT_AUDIO_H
#define DRIFT_AUDIO_H

#include "drift.h"
#include "mel.h"
#include "phase.h"
#include "playback.h"
#include "resample.h"
#include "ring.h"
#include "sndio.h"
#include "stft.h"

#endif
