-- Shared by the scenarios: per-thread seeds, a count of answers by status, and a JSON summary
-- on one line that bench/run.py reads (wrk's own text output stays above it).
local threads = {}
local next_seed = 1

function setup(thread)
  thread:set("seed", next_seed)
  next_seed = next_seed + 1
  table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function lines_of(path)
  local found = {}
  for line in io.lines(path) do
    if line ~= "" then
      found[#found + 1] = line
    end
  end
  assert(#found > 0, "no lines in " .. path)
  return found
end

function done(summary, latency, requests)
  local by_status = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local counted = {}
  for status, count in pairs(by_status) do
    counted[#counted + 1] = string.format('"%d": %d', status, count)
  end
  local percentiles = {}
  for _, p in ipairs({50, 75, 90, 99, 99.9}) do
    percentiles[#percentiles + 1] = string.format('"p%s": %d', tostring(p), latency:percentile(p))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"statuses": {%s}, "latency_us": {"mean": %.1f, "stdev": %.1f, "min": %d, "max": %d, %s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(counted, ", "),
    latency.mean, latency.stdev, latency.min, latency.max, table.concat(percentiles, ", ")
  ))
end
