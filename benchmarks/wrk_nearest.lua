-- wrk script for `python -m benchmarks web`: GET the request paths listed one a line in the
-- file named after `--`, each thread picking at random from its own seed, and print one
-- machine-readable RESULT line at the end. A second argument, milliseconds, paces each
-- connection: it waits a random 0 to twice that long before each request (c connections
-- pacing at d ms send about c / (d + latency) requests per millisecond).
--
--   wrk -t1 -c16 -d10s --latency -s benchmarks/wrk_nearest.lua http://127.0.0.1:5000 -- paths.txt [10.0]

local paths = {}
local counter = 0
local pause = 0

setup = function(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

init = function(args)
  local file = args[1] or error("give the file of request paths after --")
  for line in io.lines(file) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no request paths in " .. file) end
  pause = tonumber(args[2] or "0")
  if pause > 0 then
    -- wrk counts whole milliseconds: round, so the mean stays `pause`
    delay = function() return math.floor(math.random() * 2 * pause + 0.5) end
  end
  math.randomseed(tonumber(seed) * 7919)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.1f %.1f %d %d\n",
    summary.requests, summary.duration, summary.errors.status,
    latency:percentile(50), latency:percentile(99), latency.mean,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
end
