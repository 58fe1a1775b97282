#!/usr/bin/env bash
# Every benchmark, one after the other, each rewriting its own section of docs/BENCHMARKS.md:
# reads, sign-ins and memory (bench/reads.sh), orders end to end with a RabbitMQ restart
# (bench/orders.sh), search at 100k and 1M products (bench/search.sh), checkouts with payment
# (bench/checkout.sh), the catalogue import (bench/import.sh). About 30 minutes on two cores,
# most of it release builds and seeding. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/reads.sh
bench/orders.sh
bench/search.sh
bench/checkout.sh
bench/import.sh
