-- Prints one machine-readable line at the end of a wrk run:
-- RESULT <p50 ms> <p99 ms> <p99.9 ms> <requests/s> <errors> <requests>
-- Errors are socket errors and non-2xx/3xx answers.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.2f %.2f %.2f %.1f %d %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.timeout + e.status, summary.requests))
end
