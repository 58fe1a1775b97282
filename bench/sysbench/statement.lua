-- sysbench: one prepared statement, its text in the SQL environment variable, run once per
-- event. bench/reads.sh runs a service's own read this way, beside sysbench's point select.
local sql = assert(os.getenv("SQL"), "SQL names the statement to run")

function thread_init()
  connection = sysbench.sql.driver():connect()
  statement = connection:prepare(sql)
end

function event()
  local result = statement:execute()
  if result then result:free() end
end

function thread_done()
  statement:close()
  connection:disconnect()
end
