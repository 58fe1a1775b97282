#!/usr/bin/env bash
# Checkouts end to end with payment: cart -> checkout -> PaymentIntent -> Stripe's signed webhook ->
# paid, through the order service, the broker, the product service's reservation and the payment
# job worker. Stripe is played by bench/checkout.py itself (a local stand-in answering as Stripe's
# API does); nothing leaves the machine.
#
#   bench/checkout.sh            # DURATION=20 (seconds per scenario), CONCURRENCY=16
#
# Starts its own release `shopper` on ports 18081-18085 against scratch schemas and its own
# exchange and queues, as bench/orders.sh does, and writes the checkout section of
# docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-16}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked -p shopper
export SHOPPER_ADMIN_EMAIL=bench-admin@shop.example SHOPPER_ADMIN_PASSWORD="bench admin password"
export STRIPE_WEBHOOK_SECRET=whsec_bench
start_bench_system PAYMENT_PROVIDER=stripe STRIPE_BASE_URL=http://127.0.0.1:18090 STRIPE_API_KEY=sk_test_bench
drive() { python3 bench/checkout.py --customers "$CONCURRENCY" "$@" | tail -1; }
row() { # scenario load result
  local r=$3
  echo "| $1 | $2 | $(field "$r" checkouts) | $(field "$r" paid) | $(field "$r" errors) | $(field "$r" checkouts_per_sec) | $(field "$r" p50_ms) ms | $(field "$r" p99_ms) ms | $(field "$r" max_ms) ms | $(field "$r" polls) |"
}

echo "warming up"
drive --duration 5 --concurrency 4 >/dev/null
echo "saturated: $CONCURRENCY checkouts in flight"
saturated=$(drive --duration "$DURATION" --concurrency "$CONCURRENCY")
echo "  $saturated"
rate=$(field "$saturated" checkouts_per_sec | awk '{r = $1 / 2; print (r < 1 ? 1 : r)}')
echo "half the sustained rate: $rate checkouts/s"
half=$(drive --duration "$DURATION" --rate "$rate")
echo "  $half"

{
  echo "## Checkouts end to end"
  echo
  echo "\`bench/checkout.sh\` on $(date -u +%Y-%m-%d): one release \`shopper\` with \`PAYMENT_PROVIDER=stripe\`, Stripe"
  echo "played by a local stand-in in \`bench/checkout.py\` (which also drives the load, one Python thread per"
  echo "checkout in flight, ${DURATION} s per row). Each checkout puts one unit in the customer's cart, checks out,"
  echo "takes the PaymentIntent from the answer (or, when it was not made in time, reads the order every 5 ms until it"
  echo "is there: the polls column), and sends the signed \`payment_intent.succeeded\`; the time runs from sending"
  echo "\`POST /cart/checkout\` to the webhook's 200, when the order is paid."
  echo
  echo "| scenario | load | checkouts | paid | errors | checkouts/s | p50 | p99 | max | polls |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  row "saturated" "$CONCURRENCY in flight" "$saturated"
  row "half the sustained rate" "$rate/s" "$half"
  echo
  p99=$(field "$half" p99_ms)
  verdict=$(awk -v p="$p99" 'BEGIN { print (p < 150 ? "met" : "missed") }')
  echo "- Checkout to paid, p99 at half the sustained rate: $p99 ms (goal: under 150 ms; $verdict)."
} | write_section checkout
