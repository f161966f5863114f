-- GET a path drawn at random, per request, from a file of paths harvested beforehand.
-- wrk -s paths.lua URL -- PATHS_FILE [TOKEN]
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")

local paths
local headers = {}

function init(args)
  math.randomseed(seed * 7919)
  paths = lines_of(args[1])
  if args[2] then
    headers["Authorization"] = "Bearer " .. args[2]
  end
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
