-- drift_render.lua DIR NAME OUT_WAV: run by ardour7-lua after drift_session.lua.
-- ardour7-lua has no call that creates a MIDI region or imports a MIDI file,
-- so this script writes one the way Ardour itself stores them: a Standard
-- MIDI File in the session's midifiles folder, plus its Source and Region
-- entries in the session file and a Region in the drift track's playlist.
-- Then it reloads the session, checks that Ardour sees the instrument, the
-- region and its notes, and exports the session's master bus from 0 to 3.5 s
-- with Ardour's own exporter into OUT_WAV (32-bit float WAV at 48 kHz).
-- One export per process: Ardour 7.3 sometimes corrupts its heap when a
-- Lua SimpleExport is destroyed (docs/ARDOUR.md), more often with two.
--
-- The notes (120 bpm, so a beat is 0.5 s): C4, E4, G4, C5 starting at beats
-- 1, 2, 3 and 4 (0.5, 1.0, 1.5 and 2.0 s), each half a beat long, velocity
-- 100. Nothing sounds before 0.5 s.
local dir, name, out_wav = arg[1], arg[2], arg[3]
assert(dir and name and out_wav, "usage: drift_render.lua DIR NAME OUT_WAV")
local out, take = out_wav:match("^(.*)/([^/]+)%.wav$")
assert(out and take, "OUT_WAV must be a path ending in .wav: " .. out_wav)

local PPQN = 1920 -- Ardour's ticks per beat
local NOTES = { -- start (ticks), length (ticks), key, velocity
  { 1 * PPQN, PPQN // 2, 60, 100 }, { 2 * PPQN, PPQN // 2, 64, 100 },
  { 3 * PPQN, PPQN // 2, 67, 100 }, { 4 * PPQN, PPQN // 2, 72, 100 },
}
local REGION_BEATS = 6
local RATE = 48000
local EXPORT_SECONDS = 3.5

-- A MIDI variable-length quantity.
local function vlq(n)
  local bytes = { n & 0x7f }
  n = n >> 7
  while n > 0 do
    table.insert(bytes, 1, (n & 0x7f) | 0x80)
    n = n >> 7
  end
  return string.char(table.unpack(bytes))
end

-- A format-0 Standard MIDI File holding `notes` on channel 1.
local function smf_bytes(notes)
  local events = {}
  for _, n in ipairs(notes) do
    events[#events + 1] = { t = n[1], bytes = string.char(0x90, n[3], n[4]) }
    events[#events + 1] = { t = n[1] + n[2], bytes = string.char(0x80, n[3], 0) }
  end
  table.sort(events, function(a, b) return a.t < b.t end)
  local track, last = {}, 0
  for _, e in ipairs(events) do
    track[#track + 1] = vlq(e.t - last) .. e.bytes
    last = e.t
  end
  track[#track + 1] = vlq(0) .. "\xff\x2f\x00" -- end of track
  local body = table.concat(track)
  return "MThd" .. string.pack(">I4I2I2I2", 6, 0, 1, PPQN)
      .. "MTrk" .. string.pack(">I4", #body) .. body
end

local function read_file(path)
  local f = assert(io.open(path, "rb"), "cannot read " .. path)
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, bytes)
  local f = assert(io.open(path, "wb"), "cannot write " .. path)
  f:write(bytes)
  f:close()
end

-- Adds the source, its whole-file region and a playlist region to the
-- session file (ids far above Ardour's id-counter of a fresh session).
local function add_region_to_session(path, smf_name)
  local xml = read_file(path)
  local src, whole, used = 900001, 900002, 900003
  local attrs = ' muted="0" opaque="1" locked="0" video-locked="0" automatic="0"'
      .. ' import="0" external="0" sync-marked="0" left-of-split="0" right-of-split="0"'
      .. ' hidden="0" position-locked="0" valid-transients="0" start="b0"'
      .. ' length="b' .. REGION_BEATS * PPQN .. '@a0" sync-position="b0"'
      .. ' ancestral-start="b0" ancestral-length="b0@a0" stretch="1" shift="1"'
      .. ' layering-index="0" tags="" contents="0" type="midi" first-edit="nothing"'
      .. ' source-0="' .. src .. '" master-source-0="' .. src .. '"'
  local region_name = smf_name:gsub("%.mid$", "")
  local n1, n2, n3
  xml, n1 = xml:gsub("<Sources/>", '<Sources>\n    <Source name="' .. smf_name
      .. '" type="midi" flags="" id="' .. src .. '" origin=""/>\n  </Sources>', 1)
  xml, n2 = xml:gsub("<Regions/>", '<Regions>\n    <Region name="' .. region_name
      .. '" whole-file="1" id="' .. whole .. '"' .. attrs .. '/>\n  </Regions>', 1)
  xml, n3 = xml:gsub('(<Playlist [^>]-type="midi"[^>]-)/>', '%1>\n      <Region name="'
      .. region_name .. '.1" whole-file="0" id="' .. used .. '"' .. attrs
      .. '/>\n    </Playlist>', 1)
  assert(n1 == 1 and n2 == 1 and n3 == 1,
         "the session file does not look like a fresh Ardour 7 session: " .. path)
  write_file(path, xml)
end

-- The drift track's regions and how many notes each holds.
local function describe_regions()
  local route = Session:route_by_name("drift")
  assert(not route:isnil(), "the session has no track called drift")
  local instrument = route:nth_plugin(0)
  assert(not instrument:isnil() and instrument:name() == "drift instrument",
         "the drift track lost its instrument (is drift.lv2 on LV2_PATH?)")
  local track = route:to_track()
  local regions = track:playlist():region_list()
  local notes = 0
  for r in regions:iter() do
    local mr = r:to_midiregion()
    local n = mr:isnil() and 0 or #ARDOUR.LuaAPI.note_list(mr:model()):table()
    print(string.format("region %s: %d to %d samples, %d notes",
                        r:name(), r:position():samples(),
                        (r:position() + r:length()):samples(), n))
    notes = notes + n
  end
  return regions:size(), notes
end

local function export(file_name)
  local ex = Session:simple_export()
  ex:set_name(file_name)
  ex:set_folder(out)
  ex:set_range(0, math.floor(EXPORT_SECONDS * RATE))
  -- tests/ardour/drift-float.preset (32-bit float WAV, no dither), which
  -- run_ardour_test.sh puts in Ardour's user export folder.
  assert(ex:set_preset("cfc4dfe7-37f6-4a1c-a106-59eec62fa820"),
         "Ardour does not find drift's export preset (drift-float.preset)")
  assert(ex:check_outputs(), "the master bus has no outputs to export")
  assert(ex:run_export(), "Ardour's export of " .. file_name .. " failed")
  print("exported:", out .. "/" .. file_name .. ".wav")
end

-- The control index of the instrument's port labelled `label`.
local function param_index(plug, label)
  for i = 0, plug:parameter_count() - 1 do
    if plug:parameter_label(plug:nth_parameter(i, false)) == label then return i end
  end
  error("drift instrument has no control labelled " .. label)
end

-- Waits (up to 60 s) until the instrument has generated a sound ahead. An
-- export that starts while the note's sound is still being generated in the
-- worker plays nothing for it (docs/ARDOUR.md, "Known problems").
local function wait_for_a_sound()
  local proc = Session:route_by_name("drift"):nth_plugin(0)
  local index = param_index(proc:to_insert():plugin(0), "Sounds ready")
  local ready = 0
  for _ = 1, 240 do
    ready = ARDOUR.LuaAPI.get_processor_param(proc, index)
    if ready >= 1 then break end
    ARDOUR.LuaAPI.usleep(250000)
  end
  print("sounds ready before the export:", ready)
  assert(ready >= 1, "the instrument generated no sound in 60 s")
end

-- The exporter is collected while the session is still open: collected
-- during close_session it crashed in ~ExportPreset more often.
local function export_and_collect(file_name)
  export(file_name)
  collectgarbage("collect")
end

local smf_name = "drift-notes.mid"
-- Ardour names the interchange folder after the session folder.
local folder = dir:match("([^/]+)/*$")
write_file(dir .. "/interchange/" .. folder .. "/midifiles/" .. smf_name, smf_bytes(NOTES))
add_region_to_session(dir .. "/" .. name .. ".ardour", smf_name)

AudioEngine:set_backend("None (Dummy)", "", "")
assert(load_session(dir, name), "Ardour could not load the session " .. dir)
local regions, notes = describe_regions()
assert(regions == 1 and notes == #NOTES,
       string.format("expected 1 region with %d notes, Ardour sees %d regions, %d notes",
                     #NOTES, regions, notes))
wait_for_a_sound()
export_and_collect(take)
close_session()
