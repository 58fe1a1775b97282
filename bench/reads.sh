#!/usr/bin/env bash
# Reads next to the database's own limit, reads while sign-ins saturate auth, and each
# service's memory.
#
#   bench/reads.sh                  # DURATION=20s per run, CONNECTIONS=32, ROUNDS=3 per read
#   BASELINE="<git ref> ..." bench/reads.sh # also measures those commits' user and product reads
#
# Starts the five release binaries, each its own process, on ports 18081-18085 against scratch
# schemas (shopper_*_bench) and their own exchange and queues on the local MySQL/MariaDB and
# RabbitMQ, seeds 1,000 products (through the import) and one customer, and measures with wrk
# (Debian package `wrk`; the product read draws one of the 1,000 at random per request) and
# sysbench (Debian package `sysbench`), installing them when missing. Writes the reads section of
# docs/BENCHMARKS.md. With BASELINE, the user and product services built from that commit run
# beside today's on the same schemas, and
# each read is measured on both in the same run, today's first.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-20s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
MYSQL=(mysql --user=root --host=127.0.0.1 --batch --skip-column-names)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SERVICES=(auth user product order mailer)
declare -A PORTS=([auth]=18081 [user]=18082 [product]=18083 [order]=18084 [mailer]=18085)
declare -A BINARIES=([auth]=auth-service [user]=user-service [product]=product-service [order]=order-service [mailer]=mailer)

for tool in wrk sysbench; do
  command -v "$tool" >/dev/null || { sudo -n true 2>/dev/null && sudo apt-get install -y "$tool" || apt-get install -y "$tool"; }
done
BASELINE=${BASELINE:-}
read -r -a BASELINES <<<"$BASELINE"
declare -a BASELINE_COMMITS=() BASELINE_BINS=()
for ref in "${BASELINES[@]}"; do
  # A target directory of their own for each: cargo names a workspace crate's artifacts by its
  # place in the workspace, not by the checkout, so two checkouts in one directory would take
  # each other's. The sources are kept in it, extracted with the commit's time on every file,
  # so a later run finds them unchanged and rebuilds nothing.
  commit=$(git rev-parse --short "$ref^{commit}")
  BASELINE_COMMITS+=("$commit")
  baseline_target="$(realpath -m "$CARGO_TARGET_DIR")-baseline-$commit"
  baseline_tree="$baseline_target/sources"
  if [ ! -d "$baseline_tree" ]; then
    mkdir -p "$baseline_tree.partial"
    git archive "$commit" | tar -x -C "$baseline_tree.partial"
    mv "$baseline_tree.partial" "$baseline_tree"
  fi
  (cd "$baseline_tree" && CARGO_TARGET_DIR="$baseline_target" cargo build --release --locked -p user -p product)
  bin=$(mktemp -d)
  cp "$baseline_target/release/user-service" "$baseline_target/release/product-service" "$bin/"
  BASELINE_BINS+=("$bin")
done
cargo build --release --locked -p auth -p user -p product -p order -p mailer

declare -A PIDS=()
drop_all() {
  drop_bench_system
  "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS sbtest_bench"
}
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  drop_all
  for bin in "${BASELINE_BINS[@]}"; do rm -rf "$bin"; done
}
drop_all
trap stop_all EXIT

export AMQP_EXCHANGE=bench.events AMQP_QUEUE_PREFIX=bench. AUTH_RATE_LIMIT=off RUST_LOG=warn \
  AUTH_JWKS_URL=http://127.0.0.1:18081/.well-known/jwks.json \
  SHOPPER_ADMIN_EMAIL=bench-admin@shop.example SHOPPER_ADMIN_PASSWORD="bench admin password"
# Consumers first, so their queues exist before anything is published.
for service in mailer user product order auth; do
  upper=${service^^}
  env "${upper}_PORT=${PORTS[$service]}" "${upper}_DATABASE=shopper_${service}_bench" \
    "$CARGO_TARGET_DIR/release/${BINARIES[$service]}" >"/tmp/bench-$service.log" 2>&1 &
  PIDS[$service]=$!
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:${PORTS[$service]}/health/ready" >/dev/null && break; sleep 0.5; done
done

# The same product service with its read cache off, on the same schema: the baseline of the
# product read, measured in the same run.
env PRODUCT_PORT=18093 PRODUCT_DATABASE=shopper_product_bench PRODUCT_READ_CACHE_ENTRIES=0 \
  "$CARGO_TARGET_DIR/release/product-service" >/tmp/bench-product-uncached.log 2>&1 &
PIDS[uncached]=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:18093/health/ready" >/dev/null && break; sleep 0.5; done
# Each baseline's user service and product service (read cache on and off), on the same schemas
# (its consumers share the queues); baseline i listens on 18192+10i to 18194+10i.
for i in "${!BASELINE_BINS[@]}"; do
  bin=${BASELINE_BINS[$i]} port=$((18192 + 10 * i))
  env USER_PORT=$port USER_DATABASE=shopper_user_bench \
    "$bin/user-service" >"/tmp/bench-user-baseline-$i.log" 2>&1 &
  PIDS[user_baseline_$i]=$!
  env PRODUCT_PORT=$((port + 1)) PRODUCT_DATABASE=shopper_product_bench \
    "$bin/product-service" >"/tmp/bench-product-baseline-$i.log" 2>&1 &
  PIDS[product_baseline_$i]=$!
  env PRODUCT_PORT=$((port + 2)) PRODUCT_DATABASE=shopper_product_bench PRODUCT_READ_CACHE_ENTRIES=0 \
    "$bin/product-service" >"/tmp/bench-product-uncached-baseline-$i.log" 2>&1 &
  PIDS[uncached_baseline_$i]=$!
  for p in "$port" $((port + 1)) $((port + 2)); do
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$p/health/ready" >/dev/null && break; sleep 0.5; done
  done
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
admin=$(curl -fsS localhost:18081/auth/login -H 'content-type: application/json' \
  -d '{"email":"bench-admin@shop.example","password":"bench admin password"}' | json '["access_token"]')
# 1,000 products, loaded as a merchant would; their ids for wrk to draw from.
python3 -c '
import json
for i in range(1000):
    print(json.dumps({"sku": f"READ-{i}", "name": f"Walnut desk lamp {i}", "description": "A lamp for reading benchmarks",
                      "price_cents": 4500 + i, "stock": 10, "category": "lighting"}))' |
  curl -fsS localhost:18083/product/import -H 'content-type: application/x-ndjson' -H "authorization: Bearer $admin" \
    --data-binary @- >/dev/null
export PRODUCT_IDS=/tmp/bench-product-ids.txt
"${MYSQL[@]}" shopper_product_bench -e "SELECT LOWER(CONCAT_WS('-', SUBSTR(HEX(id), 1, 8), SUBSTR(HEX(id), 9, 4),
  SUBSTR(HEX(id), 13, 4), SUBSTR(HEX(id), 17, 4), SUBSTR(HEX(id), 21))) FROM products" >"$PRODUCT_IDS"
product=$(head -1 "$PRODUCT_IDS")
export LOGIN_EMAIL=reader@shop.example LOGIN_PASSWORD="reader password 1"
user=$(curl -fsS localhost:18081/auth/register -H 'content-type: application/json' \
  -d "{\"email\":\"$LOGIN_EMAIL\",\"password\":\"$LOGIN_PASSWORD\",\"name\":\"Bench Reader\"}" | json '["id"]')
token=$(curl -fsS localhost:18081/auth/login -H 'content-type: application/json' \
  -d "{\"email\":\"$LOGIN_EMAIL\",\"password\":\"$LOGIN_PASSWORD\"}" | json '["access_token"]')
for _ in $(seq 1 100); do
  curl -fs "localhost:18082/user/$user" -H "authorization: Bearer $token" >/dev/null && break
  sleep 0.1
done
# jemalloc hands freed pages back after a second; give the start-up's garbage that long.
sleep 3
declare -A IDLE=() BASE=()
rss() { awk "/$1/ {printf \"%.1f\", \$2 / 1024}" "/proc/$2/status"; } # VmRSS|VmHWM pid: MiB
for service in "${SERVICES[@]}"; do IDLE[$service]=$(rss VmRSS "${PIDS[$service]}"); done
# The baselines' user and product services went through the same start-up and seeding.
for i in "${!BASELINE_BINS[@]}"; do
  for service in user product; do BASE[idle_${service}_$i]=$(rss VmRSS "${PIDS[${service}_baseline_$i]}"); done
done

# "p50 p99 p99.9 requests/s errors requests" of one wrk run.
run_wrk() { # connections url [wrk options...]
  local connections=$1 url=$2
  shift 2
  wrk -t2 -c"$connections" -d"$DURATION" -s bench/wrk/report.lua "$@" "$url" | wrk_result
}
# CPU time (ms) a process has used so far, from /proc: user + system clock ticks.
TICK_MS=$((1000 / $(getconf CLK_TCK)))
cpu_ms() { awk -v tick="$TICK_MS" '{print ($14 + $15) * tick}' "/proc/$1/stat"; }
MARIADB_PID=$(pgrep -xo mariadbd || pgrep -xo mysqld)
# "<service µs> <MariaDB µs>" of CPU per request, from the CPU used over one measured run.
per_request() { # service_before mariadb_before service_pid requests
  python3 -c "print(f'{($(cpu_ms "$3") - $1) * 1000 / $4:.0f} {($(cpu_ms "$MARIADB_PID") - $2) * 1000 / $4:.0f}')"
}

# The commands MariaDB has run so far: "<statements> <executions> <pings>". Questions counts every
# statement a client sent (text or prepared, the status query itself among them); pings are
# counted apart, in Com_admin_commands.
commands() {
  "${MYSQL[@]}" -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_stmt_execute', 'Com_admin_commands')" \
    | awk '{c[$1] = $2} END {print c["Questions"], c["Com_stmt_execute"], c["Com_admin_commands"]}'
}

# One wrk run against the process $1: prints the result, and sets RESULT (the wrk line), CPU
# ("<service µs> <MariaDB µs>" per request) and COMMANDS ("<commands> <executions> <pings>" of
# MariaDB per request; commands = statements + pings).
measure() { # pid connections url [wrk options...]
  local pid=$1 service_before db_before questions_before executes_before pings_before
  local questions executes pings requests
  shift
  read -r questions_before executes_before pings_before <<<"$(commands)"
  service_before=$(cpu_ms "$pid") db_before=$(cpu_ms "$MARIADB_PID")
  RESULT=$(run_wrk "$@")
  requests=$(cut -d' ' -f6 <<<"$RESULT")
  CPU=$(per_request "$service_before" "$db_before" "$pid" "$requests")
  read -r questions executes pings <<<"$(commands)"
  COMMANDS=$(python3 -c "r = $requests; q = $questions - $questions_before; e = $executes - $executes_before
p = $pings - $pings_before; print(f'{(q + p) / r:.2f} {e / r:.2f} {p / r:.2f}')")
  echo "  $RESULT; CPU µs a request (service, MariaDB): $CPU; MariaDB commands, executions, pings a request: $COMMANDS"
}

# A row of the table: the wrk figures, then CPU and commands a request.
row() { # scenario connections "p50 p99 p999 rps errors requests" ["service_µs db_µs" "commands ..."]
  read -r p50 p99 p999 rps errors _ <<<"$3"
  read -r service_cpu db_cpu <<<"${4:-}"
  read -r commands _ <<<"${5:-}"
  echo "| $1 | $2 | $rps | $p50 ms | $p99 ms | $p999 ms | $errors | ${service_cpu:+$service_cpu µs} | ${db_cpu:+$db_cpu µs} | ${commands} |"
}

# The same machine serves the same binary at rates up to half apart from one run to the next,
# so each read is measured ROUNDS times, today's and the baselines' taking turns, and the table
# shows each one's median run.
declare -A RUNS=()
keep() { RUNS[$1]+="$RESULT|$CPU|$COMMANDS"$'\n'; } # scenario
# "RESULT|CPU|COMMANDS" of the scenario's run with the median rate.
median_run() { printf '%s' "${RUNS[$1]}" | sort -t' ' -k4 -g | sed -n "$(((ROUNDS + 1) / 2))p"; }
# The scenario's rates (requests/s), in the order they ran.
rates() { printf '%s' "${RUNS[$1]}" | awk '{printf "%s%.0f", sep, $4; sep = ", "}'; }
# One round of the three reads of one build, kept as product$suffix, uncached$suffix and user$suffix.
read_round() { # suffix label product_pid product_port uncached_pid uncached_port user_pid user_port
  local suffix=$1 label=$2
  echo "product read$label"
  measure "$3" "$CONNECTIONS" "http://127.0.0.1:$4" -s bench/wrk/random_product.lua
  keep "product$suffix"
  sleep 3
  echo "product read, read cache off$label"
  measure "$5" "$CONNECTIONS" "http://127.0.0.1:$6" -s bench/wrk/random_product.lua
  keep "uncached$suffix"
  sleep 3
  echo "user read (authenticated)$label"
  measure "$7" "$CONNECTIONS" "http://127.0.0.1:$8/user/$user" -H "Authorization: Bearer $token"
  keep "user$suffix"
  sleep 3
}
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS"
  read_round "" "" "${PIDS[product]}" 18083 "${PIDS[uncached]}" 18093 "${PIDS[user]}" 18082
  for i in "${!BASELINE_BINS[@]}"; do
    port=$((18192 + 10 * i))
    read_round "_$i" ", ${BASELINE_COMMITS[$i]}" "${PIDS[product_baseline_$i]}" $((port + 1)) \
      "${PIDS[uncached_baseline_$i]}" $((port + 2)) "${PIDS[user_baseline_$i]}" "$port"
  done
done
IFS='|' read -r product_read product_cpu product_commands <<<"$(median_run product)"
IFS='|' read -r uncached_read uncached_cpu uncached_commands <<<"$(median_run uncached)"
IFS='|' read -r user_read user_cpu user_commands <<<"$(median_run user)"
for i in "${!BASELINE_BINS[@]}"; do
  for scenario in product uncached user; do
    IFS='|' read -r "BASE[${scenario}_$i]" "BASE[${scenario}_cpu_$i]" "BASE[${scenario}_commands_$i]" \
      <<<"$(median_run "${scenario}_$i")"
  done
done

half=$((CONNECTIONS / 2))
echo "product read at $half connections, alone"
alone=$(run_wrk "$half" "http://127.0.0.1:18083/product/$product")
echo "  $alone"
sleep 3
echo "product read at $half connections while $half connections sign in"
wrk -t1 -c"$half" -d"$(( ${DURATION%s} + 4 ))s" -s bench/wrk/login.lua "http://127.0.0.1:18081/auth/login" \
  | wrk_result >/tmp/bench-login.txt &
login_load=$!
sleep 2
during=$(run_wrk "$half" "http://127.0.0.1:18083/product/$product")
wait "$login_load"
login=$(cat /tmp/bench-login.txt)
echo "  reads $during; logins $login"

# One sysbench run: prints the result, and sets SB_QPS, SB_P99, SB_CPU (MariaDB µs a query) and
# SB_COMMANDS (MariaDB commands a query).
sysbench_run() { # sysbench arguments...
  local db_cpu questions_before pings_before questions_after pings_after out queries
  db_cpu=$(cpu_ms "$MARIADB_PID")
  read -r questions_before _ pings_before <<<"$(commands)"
  out=$(sysbench "$@" --mysql-host=127.0.0.1 --mysql-user=root --db-ps-mode=auto --threads="$CONNECTIONS" \
    --time="${DURATION%s}" --percentile=99 run)
  read -r questions_after _ pings_after <<<"$(commands)"
  SB_QPS=$(awk '/queries:/ {gsub(/[()]/, "", $3); print $3}' <<<"$out")
  queries=$(awk '/queries:/ {print $2}' <<<"$out")
  SB_CPU=$(python3 -c "print(f'{($(cpu_ms "$MARIADB_PID") - $db_cpu) * 1000 / $queries:.0f}')")
  SB_COMMANDS=$(python3 -c "print(f'{($questions_after - $questions_before + $pings_after - $pings_before) / $queries:.2f}')")
  SB_P99=$(awk '/99th percentile:/ {print $3}' <<<"$out")
  echo "  $SB_QPS queries/s, p99 $SB_P99 ms, MariaDB CPU $SB_CPU µs a query"
}

# Last: its scratch table and the flushing after it would otherwise slow the reads measured next.
echo "MariaDB point selects (sysbench)"
"${MYSQL[@]}" -e "CREATE DATABASE sbtest_bench"
POINT_SELECT=(oltp_point_select --mysql-db=sbtest_bench --tables=1 --table-size=10000)
sysbench "${POINT_SELECT[@]}" --mysql-host=127.0.0.1 --mysql-user=root prepare >/dev/null
sysbench_run "${POINT_SELECT[@]}"
db_qps=$SB_QPS db_p99=$SB_P99 point_select_cpu=$SB_CPU point_select_commands=$SB_COMMANDS
sleep 3
# The user read's own statement (its columns taken from the user service's store, its id written
# in, not bound) run the same way: what its shape costs MariaDB beside a point select's. Through
# libmariadb, to which MariaDB sends a prepared statement's column definitions once, where sqlx is
# sent them with every execution.
echo "the user read's statement (sysbench)"
profile_columns=$(sed -n '/^const COLUMNS/{n;s/^ *"\(.*\)";$/\1/p}' services/user/src/store/profiles.rs)
[ -n "$profile_columns" ] || { echo "no COLUMNS in services/user/src/store/profiles.rs" >&2; exit 1; }
SQL="SELECT $profile_columns FROM profiles WHERE id = 0x${user//-/} AND deleted_at IS NULL" \
  sysbench_run bench/sysbench/statement.lua --mysql-db=shopper_user_bench
statement_qps=$SB_QPS statement_p99=$SB_P99 statement_cpu=$SB_CPU statement_commands=$SB_COMMANDS
sleep 3

declare -A PEAK=()
for service in "${SERVICES[@]}"; do PEAK[$service]=$(rss VmHWM "${PIDS[$service]}"); done
sleep 5
declare -A AFTER=()
for service in "${SERVICES[@]}"; do AFTER[$service]=$(rss VmRSS "${PIDS[$service]}"); done

ratio() { python3 -c "print(f'{float($1) / float($2):.2f}')"; }
read -r _ _ _ product_rps _ <<<"$product_read"
read -r _ _ _ uncached_rps _ <<<"$uncached_read"
read -r _ _ _ user_rps _ <<<"$user_read"
read -r _ alone_p99 _ _ _ <<<"$alone"
read -r _ during_p99 _ _ _ <<<"$during"
read -r _ uncached_db_cpu <<<"$uncached_cpu"
read -r _ user_db_cpu <<<"$user_cpu"
read -r _ uncached_executes uncached_pings <<<"$uncached_commands"
{
  echo "## Reads, sign-ins and memory"
  echo
  echo "\`bench/reads.sh\` on $(date -u +%Y-%m-%d): the five release binaries, one process each, wrk for $DURATION per"
  echo "run, sysbench on the same MariaDB; \`AUTH_RATE_LIMIT=off\` so sign-ins are not throttled. Each read at"
  echo "$CONNECTIONS connections is the median of $ROUNDS runs, taken in turns with the baselines'. CPU is each"
  echo "process's own time over the run, divided by its requests; MariaDB commands are its \`Questions\` (statements"
  echo "sent by clients) and \`Com_admin_commands\` (pings) over the run, divided the same way."
  echo
  echo "| scenario | connections | requests/s | p50 | p99 | p99.9 | errors | service CPU a request | MariaDB CPU a request | MariaDB commands a request |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  row "\`GET /product/{id}\`, 1,000 products at random" "$CONNECTIONS" "$product_read" "$product_cpu" "$product_commands"
  row "the same, read cache off" "$CONNECTIONS" "$uncached_read" "$uncached_cpu" "$uncached_commands"
  row "\`GET /user/{id}\` (bearer token)" "$CONNECTIONS" "$user_read" "$user_cpu" "$user_commands"
  for i in "${!BASELINE_BINS[@]}"; do
    commit=${BASELINE_COMMITS[$i]}
    row "\`GET /product/{id}\`, the services of $commit" "$CONNECTIONS" "${BASE[product_$i]}" \
      "${BASE[product_cpu_$i]}" "${BASE[product_commands_$i]}"
    row "the same, read cache off" "$CONNECTIONS" "${BASE[uncached_$i]}" \
      "${BASE[uncached_cpu_$i]}" "${BASE[uncached_commands_$i]}"
    row "\`GET /user/{id}\`, the services of $commit" "$CONNECTIONS" "${BASE[user_$i]}" \
      "${BASE[user_cpu_$i]}" "${BASE[user_commands_$i]}"
  done
  echo "| MariaDB \`oltp_point_select\` (sysbench, 10,000 rows) | $CONNECTIONS threads | $db_qps queries/s | | $db_p99 ms | | | | $point_select_cpu µs | $point_select_commands |"
  echo "| the user read's statement (sysbench) | $CONNECTIONS threads | $statement_qps queries/s | | $statement_p99 ms | | | | $statement_cpu µs | $statement_commands |"
  row "\`GET /product/{id}\` alone" "$half" "$alone"
  row "\`GET /product/{id}\` during sign-ins" "$half" "$during"
  row "\`POST /auth/login\` saturated (argon2)" "$half" "$login"
  echo
  echo "- The product read serves $(ratio "$product_rps" "$db_qps")x MariaDB's own point-select rate (target: at least 0.6x);"
  echo "  with the read cache off, $(ratio "$uncached_rps" "$db_qps")x. The cache makes it $(ratio "$product_rps" "$uncached_rps")x as fast."
  echo "- The user read serves $(ratio "$user_rps" 1800)x the 1.8k requests/s of the original Node.js \`GET /user/:id\`"
  echo "  (target: at least 5x)."
  echo "- A read that reaches the database costs it $uncached_executes statement executions and $uncached_pings pings"
  echo "  (product, cache off); MariaDB spends $(ratio "$uncached_db_cpu" "$point_select_cpu")x (product) and"
  echo "  $(ratio "$user_db_cpu" "$point_select_cpu")x (user) the CPU of a sysbench point select on it (target: at most 1.5x)."
  echo "- The user read's own statement, run by sysbench the same way, costs MariaDB $statement_cpu µs:"
  echo "  $(ratio "$statement_cpu" "$point_select_cpu")x a point select for its shape; the user read costs $(ratio "$user_db_cpu" "$statement_cpu")x that."
  echo "- Saturated sign-ins raise the product read's p99 $(ratio "$during_p99" "$alone_p99")x (target: at most 3x)."
  for i in "${!BASELINE_BINS[@]}"; do
    read -r _ _ _ base_product_rps _ <<<"${BASE[product_$i]}"
    read -r _ _ _ base_uncached_rps _ <<<"${BASE[uncached_$i]}"
    read -r _ _ _ base_user_rps _ <<<"${BASE[user_$i]}"
    read -r base_product_cpu _ <<<"${BASE[product_cpu_$i]}"
    read -r base_user_cpu _ <<<"${BASE[user_cpu_$i]}"
    echo "- Against ${BASELINE_COMMITS[$i]} (\`BASELINE=\"$BASELINE\" bench/reads.sh\`), measured in the same run: the"
    echo "  product read $(ratio "$product_rps" "$base_product_rps")x its rate (service CPU a read $(ratio "${product_cpu%% *}" "$base_product_cpu")x),"
    echo "  with the cache off $(ratio "$uncached_rps" "$base_uncached_rps")x, the user read $(ratio "$user_rps" "$base_user_rps")x (service CPU a read $(ratio "${user_cpu%% *}" "$base_user_cpu")x)."
    echo "  Each round's rates, today's then ${BASELINE_COMMITS[$i]}'s: product $(rates product) and $(rates "product_$i");"
    echo "  cache off $(rates uncached) and $(rates "uncached_$i"); user $(rates user) and $(rates "user_$i")."
  done
  echo
  echo "Without the cache a read is an HTTP exchange plus a database exchange where sysbench makes only the"
  echo "latter, and the load generator, the service and MariaDB share two cores."
  echo
  echo "| service | idle RSS | peak RSS | RSS 5 s after the runs |"
  echo "|---|---|---|---|"
  for service in "${SERVICES[@]}"; do
    echo "| $service | ${IDLE[$service]} MiB | ${PEAK[$service]} MiB | ${AFTER[$service]} MiB |"
  done
  for i in "${!BASELINE_BINS[@]}"; do
    for service in user product; do
      echo "| $service, the services of ${BASELINE_COMMITS[$i]} | ${BASE[idle_${service}_$i]} MiB | | |"
    done
  done
  echo
  echo "- Largest idle RSS: $(printf '%s\n' "${IDLE[@]}" | sort -n | tail -1) MiB (target: under 30 MiB per service)."
} | write_section reads
