/* entry.c: the one symbol drift.lv2's shared object exports: the LV2
 * entry point listing drift's plugins. */
#include <stddef.h>

#include <lv2/core/lv2.h>

#include "instrument.h"
#include "texture.h"

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    switch (index) {
    case 0: return &drift_instrument_descriptor;
    case 1: return &drift_texture_descriptor;
    default: return NULL;
    }
}
