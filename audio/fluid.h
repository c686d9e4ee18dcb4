/* fluid.h: rendering single notes of a SoundFont with libfluidsynth, in
 * memory (no audio driver), and drift's General MIDI one-shot data set:
 * the GM drum kits' sounds and melodic programs at several pitches and
 * velocities, tagged (instrument or drum, family or kit, pitch, velocity).
 *
 * Reverb and chorus are off and the synth runs on one core, so a note's
 * audio depends only on the SoundFont, the preset, the note, the velocity
 * and the timing. */
#ifndef DRIFT_AUDIO_FLUID_H
#define DRIFT_AUDIO_FLUID_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"
#include "sounddata.h"

/* Debian's General MIDI SoundFont (package fluid-soundfont-gm). */
#define DRIFT_GM_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

typedef struct drift_fluid drift_fluid;

/* Loads a SoundFont for rendering at `rate` Hz with master gain `gain`. */
drift_status drift_fluid_open(const char *sf2_path, int rate, float gain, drift_fluid **out);
void drift_fluid_close(drift_fluid *f);

/* One note, mono: out (frames) receives the mix of the synth's stereo
 * output. drums selects the GM drum kit (bank 128, MIDI channel 10) and
 * `program` its kit number; otherwise bank 0 and the GM program 0..127.
 * The note is released after note_seconds; the synth is reset first. */
drift_status drift_fluid_render(drift_fluid *f, bool drums, int program, int note, int velocity,
                                double note_seconds, size_t frames, float *out);

/* ---- the General MIDI one-shot data set ------------------------------------ */

typedef struct drift_render_options {
    const char *soundfont; /* NULL: DRIFT_GM_SOUNDFONT */
    bool small;            /* a handful of clips (tests) */
    const drift_sound_params *params; /* rate and clip length; NULL: defaults */
    void (*progress)(void *user, int done, int total);
    void *progress_user;
} drift_render_options;

/* Renders the GM drum kits' sounds into OUT/drums/ with OUT/drums.csv, and
 * melodic programs at several pitches and velocities into OUT/notes/ with
 * OUT/notes.csv. *clips (optional) receives the number of clips. */
drift_status drift_sound_render_gm(const char *out_dir, const drift_render_options *o, int *clips);

#endif
