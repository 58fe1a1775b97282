-- POST /auth/login with the account in the environment; report.lua's closing line.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("LOGIN_EMAIL"), os.getenv("LOGIN_PASSWORD"))

dofile("bench/wrk/report.lua")
