/* instrument.h: drift's LV2 instrument: MIDI in, generated one-shots out.
 *
 * Ports (indices match instrument.ttl):
 *   0 control   atom in: MIDI notes, patch:Set/patch:Get of the model file
 *   1 notify    atom out: patch:Set of the model file after a load or Get
 *   2 out_l, 3 out_r   audio (the same mono signal on both)
 *   4 sound     preset index (class or prompt; see gen.h)
 *   5 seed      6 variation (0: the same sound per region, 1: a new one per note)
 *   7 steps     8 guidance   9 gain (dB)   10 release (s)
 *   11 freewheel (lv2:freeWheeling)
 *   12 ready    output: sounds ready for the current settings
 *   13 status   output: 0 no model, 1 loading, 2 ready, 3 error
 *
 * Threads: run() only plays cached sounds (cache.h, voices.h) and posts
 * requests; the LV2 worker loads models and generates (gen.h). Offline
 * (no lv2:isLive feature, or freewheel on) a note whose sound is not ready
 * generates it in run(), blocking, whatever the worker is doing, which
 * makes renders deterministic; live, it plays the nearest ready sound, or
 * nothing if none is ready. */
#ifndef DRIFT_PLUGIN_INSTRUMENT_H
#define DRIFT_PLUGIN_INSTRUMENT_H

#include <lv2/core/lv2.h>

extern const LV2_Descriptor drift_instrument_descriptor;

#endif
