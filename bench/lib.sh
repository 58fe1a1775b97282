# Shared by the bench scripts: each writes its own section of docs/BENCHMARKS.md and leaves the others alone.

# Replace the section named $1 (between its begin/end markers) with stdin, appending it when new, and stamp
# the file's header with the machine and the date.
write_section() { # name
  local name=$1 file=docs/BENCHMARKS.md body
  body=$(cat)
  [ -f "$file" ] || printf '# Benchmarks\n' > "$file"
  python3 - "$file" "$name" "$body" "$(machine_line)" <<'PY'
import re, sys
path, name, body, machine = sys.argv[1:]
text = open(path).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
section = f"{begin}\n{body}\n{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
header = re.compile(r"^Machine: .*?\n\n", re.M | re.S)
stamp = f"Machine: {machine}\n\n"
text = header.sub(stamp, text, count=1) if header.search(text) else text.replace("# Benchmarks\n", "# Benchmarks\n\n" + stamp, 1)
open(path, "w").write(text)
PY
  echo "wrote the $name section of $file"
}

# Filters wrk's output down to the line bench/wrk/report.lua (or a script ending like it) prints:
# "<p50 ms> <p99 ms> <p99.9 ms> <requests/s> <errors> <requests>".
wrk_result() {
  awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7}'
}

# The value of NAME=value field $2 in the one-line result $1 of a load driver.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

machine_line() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  echo "$(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, $(mysql --user=root --host=127.0.0.1 --batch --skip-column-names -e 'SELECT VERSION()'); load generators on the same machine. Each section names the command that produced it and the day it ran."
}

# Drops the scratch schemas (shopper_<service>_bench) and the bench.* queues a benchmark system
# leaves behind.
drop_bench_system() {
  local service
  for service in auth user product order mailer; do
    mysql --user=root --host=127.0.0.1 -e "DROP DATABASE IF EXISTS shopper_${service}_bench"
  done
  rabbitmqctl -q list_queues name 2>/dev/null | { grep '^bench\.' || true; } | while read -r queue; do
    # </dev/null: rabbitmqctl reads standard input, which would swallow the rest of the list.
    rabbitmqctl -q delete_queue "$queue" </dev/null >/dev/null
  done
}

# Starts the benchmarks' release `shopper` on ports 18081-18085 against the scratch schemas and the
# bench.* exchange and queues, with the extra settings given as NAME=value arguments, and waits
# until every service is ready. Sets $system (its pid) and a trap that stops it and drops what it
# made when the script exits, and removes $BENCH_SCRATCH (a scratch folder) if the script set one.
start_bench_system() { # [NAME=value ...]
  drop_bench_system
  env AUTH_PORT=18081 USER_PORT=18082 PRODUCT_PORT=18083 ORDER_PORT=18084 MAILER_PORT=18085 \
    AUTH_DATABASE=shopper_auth_bench USER_DATABASE=shopper_user_bench PRODUCT_DATABASE=shopper_product_bench \
    ORDER_DATABASE=shopper_order_bench MAILER_DATABASE=shopper_mailer_bench \
    AMQP_EXCHANGE=bench.events AMQP_QUEUE_PREFIX=bench. AUTH_JWKS_URL=http://127.0.0.1:18081/.well-known/jwks.json \
    AUTH_RATE_LIMIT=off RUST_LOG=warn "$@" "$CARGO_TARGET_DIR/release/shopper" >/tmp/shopper-bench.log 2>&1 &
  system=$!
  trap 'kill $system 2>/dev/null || true; wait $system 2>/dev/null || true; drop_bench_system; rm -rf "${BENCH_SCRATCH:-/nonexistent}"' EXIT
  local port
  for port in 18081 18082 18083 18084 18085; do
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
  done
  export BENCH_AUTH_URL=http://127.0.0.1:18081 BENCH_PRODUCT_URL=http://127.0.0.1:18083 BENCH_ORDER_URL=http://127.0.0.1:18084
}
