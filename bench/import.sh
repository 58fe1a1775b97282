#!/usr/bin/env bash
# Loading a catalogue through POST /product/import: a million products in one NDJSON body, then
# the same body again (every line unchanged), then every price changed (every line an update).
#
#   bench/import.sh            # LINES=1000000
#
# Starts its own release `shopper` on ports 18081-18085 against scratch schemas and its own
# exchange and queues (as bench/orders.sh does), writes the body to a scratch file first so the
# generator's time is not counted, sends it with curl, and reports for each run the wall time of
# the request, lines per second, and when the order service's copy of the catalogue (fed by the
# product.imported events) held every product. Writes the import section of docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

LINES=${LINES:-1000000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
MYSQL=(mysql --user=root --host=127.0.0.1 --batch --skip-column-names)
BENCH_SCRATCH=$(mktemp -d /tmp/shopper-import.XXXXXX)
body=$BENCH_SCRATCH/products.ndjson
changed=$BENCH_SCRATCH/repriced.ndjson

cargo build --release --locked -p shopper
export SHOPPER_ADMIN_EMAIL=bench-admin@shop.example SHOPPER_ADMIN_PASSWORD="bench admin password"
start_bench_system

generate() { # lines price-offset > file
  python3 - "$1" "$2" <<'PY'
import json, sys
lines, offset = int(sys.argv[1]), int(sys.argv[2])
woods = ["walnut", "oak", "maple", "cedar", "teak", "ash", "birch", "cherry"]
things = ["lamp", "chair", "table", "shelf", "stool", "bench", "desk", "frame"]
out = sys.stdout
for i in range(lines):
    out.write(json.dumps({
        "sku": f"IMP-{i:07d}", "name": f"{woods[i % 8]} {things[i // 8 % 8]} {i}",
        "description": f"A {woods[i % 8]} piece, made to last; item {i} of the bench catalogue.",
        "price_cents": 500 + (i * 37 + offset) % 50000, "stock": 10, "category": "bench"}) + "\n")
PY
}
generate "$LINES" 0 >"$body"
generate "$LINES" 1 >"$changed"
size_mib=$(( $(stat -c %s "$body") / 1048576 ))

token=$(curl -fs "$BENCH_AUTH_URL/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$SHOPPER_ADMIN_EMAIL\",\"password\":\"$SHOPPER_ADMIN_PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

copied() { "${MYSQL[@]}" shopper_order_bench -e "SELECT COUNT(*) FROM catalogue WHERE version = $1"; }

run() { # file expected-version -> "seconds counts copy_seconds"
  local started ended answer copy_done
  started=$(date +%s.%N)
  answer=$(curl -fsS --max-time 3600 -X POST -T "$1" "$BENCH_PRODUCT_URL/product/import" \
    -H "authorization: Bearer $token" -H 'content-type: application/x-ndjson')
  ended=$(date +%s.%N)
  # The copy follows through the broker; wait for it to hold every product at this version.
  for _ in $(seq 1 1200); do
    [ "$(copied "$2")" -ge "$LINES" ] && break
    sleep 0.5
  done
  copy_done=$(date +%s.%N)
  python3 - "$answer" "$started" "$ended" "$copy_done" <<'PY'
import json, sys
answer = json.loads(sys.argv[1]); started, ended, copied = map(float, sys.argv[2:])
counts = "/".join(str(answer[k]) for k in ("created", "updated", "unchanged", "rejected"))
print(f"{ended - started:.1f} {counts} {copied - started:.1f}")
PY
}

echo "importing $LINES products ($size_mib MiB)"
first=$(run "$body" 1); echo "  created: $first"
again=$(run "$body" 1); echo "  unchanged: $again"
updates=$(run "$changed" 2); echo "  updated: $updates"

row() { # label result
  read -r seconds counts copy <<<"$2"
  local rate
  rate=$(awk -v n="$LINES" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
  echo "| $1 | $seconds s | $rate | $counts | $copy s |"
}
goal=$(awk -v s="$(cut -d' ' -f1 <<<"$first")" 'BEGIN { print (s < 120 ? "met" : "missed") }')

{
  echo "## Catalogue import"
  echo
  echo "\`bench/import.sh\` on $(date -u +%Y-%m-%d): one release \`shopper\`; one \`POST /product/import\` of $LINES"
  echo "NDJSON lines ($size_mib MiB, written to a file first and sent by curl) into an empty catalogue, the same body"
  echo "again, then a body with every price changed. The copy column is when the order service's catalogue copy,"
  echo "fed by the \`product.imported\` events through RabbitMQ, held every product at its new version."
  echo
  echo "| run | request | lines/s | created/updated/unchanged/rejected | copy complete |"
  echo "|---|---|---|---|---|"
  row "into an empty catalogue" "$first"
  row "the same body again" "$again"
  row "every price changed" "$updates"
  echo
  echo "- A million products in under 2 minutes: $goal."
} | write_section import
