-- drift_session.lua DIR NAME PLUGIN_URI PRESET_URI: run by ardour7-lua (Ardour's
-- headless Lua session tool). Creates an Ardour session on the dummy audio
-- backend with one MIDI track, "drift", whose instrument is the drift LV2
-- instrument, loads a drift preset (which names the model file), waits until
-- the model reports ready, saves the session and closes it. The plugin's
-- state (the model path) goes into the session, as it would from the GUI.
local dir, name, uri, preset = arg[1], arg[2], arg[3], arg[4]
assert(dir and name and uri and preset, "usage: drift_session.lua DIR NAME PLUGIN_URI PRESET_URI")

-- The control index of the plugin's output port labelled `label`.
local function param_index(plug, label)
  for i = 0, plug:parameter_count() - 1 do
    local port = plug:nth_parameter(i, false)
    if plug:parameter_label(port) == label then return i end
  end
  error("drift instrument has no control labelled " .. label)
end

AudioEngine:set_backend("None (Dummy)", "", "")
assert(create_session(dir, name, 48000), "could not create the session in " .. dir)

local info = ARDOUR.LuaAPI.new_plugin_info(uri, ARDOUR.PluginType.LV2)
assert(not info:isnil(), "Ardour does not know the plugin " .. uri .. " (LV2_PATH?)")
-- strict I/O off: with it on, ardour7-lua 7.3 sometimes aborts with
-- "Port already exists" while the track's outputs are configured.
local tracks = Session:new_midi_track(ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
  ARDOUR.ChanCount(ARDOUR.DataType("audio"), 2), false, info, nil, nil, 1, "drift",
  ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
assert(tracks:size() == 1, "no MIDI track was created")
local proc = tracks:front():nth_plugin(0)
assert(not proc:isnil(), "the track has no instrument")
print("instrument on track:", proc:name())

local plug = proc:to_insert():plugin(0)
local pset = plug:preset_by_uri(preset)
assert(pset and pset.valid, "Ardour does not list the preset " .. preset)
assert(plug:load_preset(pset), "Ardour could not load the preset " .. preset)
print("preset loaded:", pset.label)

-- Model status: 0 no model, 1 loading, 2 ready, 3 error.
local status_index = param_index(plug, "Model status")
local status = -1
for _ = 1, 120 do
  status = ARDOUR.LuaAPI.get_processor_param(proc, status_index)
  if status >= 2 then break end
  ARDOUR.LuaAPI.usleep(250000)
end
print("model status:", status)
assert(status == 2, "the preset's model did not load (status " .. status .. ")")

assert(Session:save_state("") == 0, "could not save the session")
close_session()
print("session saved:", dir)
