-- POST a new law per request, through the whole record lifecycle (revision, audit entry, change
-- event, search entries), for a country drawn from a file and with instruments it relates to.
-- wrk -s create_law.lua URL -- COUNTRIES_FILE TOKEN
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")

local countries
local headers = {["Content-Type"] = "application/json"}
local made = 0
local kinds = {"act", "regulation", "policy", "bill"}
local instruments = {'["C189"]', '["C189", "C097"]', '[]', '["ICRMW", "C143"]'}

function init(args)
  math.randomseed(seed * 104729)
  countries = lines_of(args[1])
  headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  made = made + 1
  local kind = kinds[math.random(#kinds)]
  local body = string.format(
    '{"country": "%s", "title": "Bench %s %d-%d on the recruitment of domestic workers", '
      .. '"kind": "%s", "status": "%s", "reference": "No. %d", '
      .. '"summary": "Caps recruitment fees, protects wages and sets grievance procedures for '
      .. 'migrant workers placed abroad.", "instrument_codes": %s, "visibility": "partners"}',
    countries[math.random(#countries)], kind, seed, made, kind,
    kind == "bill" and "bill" or "in_force", made, instruments[math.random(#instruments)]
  )
  return wrk.format("POST", "/api/v1/laws", headers, body)
end
