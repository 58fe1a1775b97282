-- GET /product/{id} for a product drawn at random, per request, from the ids in the file named by
-- PRODUCT_IDS (one per line); report.lua's closing line.
local ids = {}
for line in io.lines(os.getenv("PRODUCT_IDS")) do
  ids[#ids + 1] = line
end

-- Each wrk thread draws its own sequence.
init = function(_)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  return wrk.format("GET", "/product/" .. ids[math.random(#ids)])
end

dofile("bench/wrk/report.lua")
