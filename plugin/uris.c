/* uris.c: maps the URIs of uris.h through the host's urid:map. */
#include "uris.h"

#include <lv2/atom/atom.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>

void drift_plugin_uris_map(drift_plugin_uris *u, LV2_URID_Map *map)
{
    u->atom_Object = map->map(map->handle, LV2_ATOM__Object);
    u->atom_Blank = map->map(map->handle, LV2_ATOM__Blank);
    u->atom_Path = map->map(map->handle, LV2_ATOM__Path);
    u->atom_URI = map->map(map->handle, LV2_ATOM__URI);
    u->atom_String = map->map(map->handle, LV2_ATOM__String);
    u->atom_URID = map->map(map->handle, LV2_ATOM__URID);
    u->atom_Sequence = map->map(map->handle, LV2_ATOM__Sequence);
    u->atom_eventTransfer = map->map(map->handle, LV2_ATOM__eventTransfer);
    u->midi_Event = map->map(map->handle, LV2_MIDI__MidiEvent);
    u->patch_Set = map->map(map->handle, LV2_PATCH__Set);
    u->patch_Get = map->map(map->handle, LV2_PATCH__Get);
    u->patch_property = map->map(map->handle, LV2_PATCH__property);
    u->patch_value = map->map(map->handle, LV2_PATCH__value);
    u->model = map->map(map->handle, DRIFT_LV2_MODEL_URI);
}
