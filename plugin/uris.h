/* uris.h: the URIs drift's LV2 plugins use, and their URIDs once mapped
 * through the host's urid:map. The plugin URIs live under
 * https://drift.invalid/plugins/drift (".invalid" is reserved: it never
 * resolves, so the names cannot collide with anyone's real domain). */
#ifndef DRIFT_PLUGIN_URIS_H
#define DRIFT_PLUGIN_URIS_H

#include <lv2/urid/urid.h>

#define DRIFT_LV2_URI "https://drift.invalid/plugins/drift"
#define DRIFT_LV2_INSTRUMENT_URI DRIFT_LV2_URI "#instrument"
#define DRIFT_LV2_TEXTURE_URI DRIFT_LV2_URI "#texture"
#define DRIFT_LV2_MODEL_URI DRIFT_LV2_URI "#model"

typedef struct drift_plugin_uris {
    LV2_URID atom_Object, atom_Blank, atom_Path, atom_URI, atom_String, atom_URID, atom_Sequence, atom_eventTransfer;
    LV2_URID midi_Event;
    LV2_URID patch_Set, patch_Get, patch_property, patch_value;
    LV2_URID model; /* the model file parameter (an atom:Path) */
} drift_plugin_uris;

/* Maps every URI of the set through map. */
void drift_plugin_uris_map(drift_plugin_uris *u, LV2_URID_Map *map);

#endif
