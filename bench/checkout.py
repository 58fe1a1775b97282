#!/usr/bin/env python3
"""Checkouts end to end: cart -> checkout -> the order's PaymentIntent -> Stripe's signed webhook -> paid.

    bench/checkout.py --duration 20 --concurrency 16      # closed loop: checkouts/s saturated
    bench/checkout.py --duration 20 --rate 10             # open loop at a fixed rate

Plays Stripe itself (a local HTTP server answering the three calls shopper makes, on --stripe-port) and
signs each webhook as Stripe does, so the shopper it drives must run with PAYMENT_PROVIDER=stripe,
STRIPE_BASE_URL=http://127.0.0.1:<stripe-port> and STRIPE_WEBHOOK_SECRET=<--webhook-secret> (bench/checkout.sh
starts one so). The time measured runs from sending POST /cart/checkout to the webhook's 200, which is when
the order is paid: placing, the stock reservation through the broker, the intent job, and the webhook. The
checkout's answer carries the intent when Stripe made it within ORDER_SETTLE_WAIT_MS; otherwise the client
reads its order every 5 ms until it is there (counted as polls). Standard library only; one thread per
checkout in flight.

Prints one line: checkouts=... paid=... errors=... checkouts_per_sec=... p50_ms=... p99_ms=... max_ms=... polls=...
"""

import argparse
import hashlib
import hmac
import http.server
import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid

PASSWORD = "bench password 1"


class Stripe(http.server.BaseHTTPRequestHandler):
    """POST /v1/payment_intents, /v1/payment_intents/{id}/cancel, /v1/refunds, as Stripe answers them."""

    intents = {}
    lock = threading.Lock()

    def log_message(self, *_):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        form = dict(pair.split("=", 1) for pair in self.rfile.read(length).decode().split("&") if "=" in pair)
        key = self.headers.get("idempotency-key", "")
        if self.path == "/v1/payment_intents":
            with Stripe.lock:
                intent = Stripe.intents.setdefault(key, {"id": f"pi_{uuid.uuid4().hex}", "amount": int(form["amount"])})
            body = {"id": intent["id"], "client_secret": intent["id"] + "_secret", "amount": intent["amount"], "currency": form["currency"]}
        elif self.path == "/v1/refunds":
            body = {"id": f"re_{uuid.uuid4().hex}", "status": "succeeded"}
        else:
            body = {"id": self.path.split("/")[3], "status": "canceled"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def call(method, url, token=None, body=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        return error.code, None


def login(auth, email, password):
    status, body = call("POST", f"{auth}/auth/login", body={"email": email, "password": password})
    assert status == 200, f"login of {email}: {status}"
    return body["access_token"]


def signed(body, secret):
    t = str(int(time.time()))
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"


def checkout(args, token, product):
    """One purchase; returns the seconds from checkout to paid and how often the order was read, or raises."""
    order_url = args.order
    status, _ = call("PUT", f"{order_url}/cart/items/{product}", token, {"quantity": 1})
    assert status == 200, f"cart: {status}"
    began = time.perf_counter()
    status, order = call("POST", f"{order_url}/cart/checkout", token, headers={"idempotency-key": uuid.uuid4().hex})
    assert status in (201, 202), f"checkout: {status}"
    order_id = order["id"]
    polls = 0
    while True:
        payment = order.get("payment") or {}
        if payment.get("intent_id"):
            break
        assert order["status"] in ("pending", "confirmed"), f"order {order_id} is {order['status']}"
        time.sleep(0.005)
        polls += 1
        status, order = call("GET", f"{order_url}/order/{order_id}", token)
        assert status == 200, f"order: {status}"
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": payment["intent_id"], "amount": payment["amount_cents"], "currency": payment["currency"].lower()}},
    }
    raw = json.dumps(event).encode()
    status, _ = call("POST", f"{order_url}/payments/stripe/webhook", raw=raw, headers={"stripe-signature": signed(raw, args.webhook_secret)})
    assert status == 200, f"webhook: {status}"
    return time.perf_counter() - began, polls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auth", default=os.environ.get("BENCH_AUTH_URL", "http://127.0.0.1:8081"))
    parser.add_argument("--product", default=os.environ.get("BENCH_PRODUCT_URL", "http://127.0.0.1:8083"))
    parser.add_argument("--order", default=os.environ.get("BENCH_ORDER_URL", "http://127.0.0.1:8084"))
    parser.add_argument("--stripe-port", type=int, default=18090)
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_bench"))
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, help="checkouts per second (open loop); overrides --concurrency")
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--serve-stripe-only", action="store_true", help="only play Stripe, until killed")
    args = parser.parse_args()

    stripe = http.server.ThreadingHTTPServer(("127.0.0.1", args.stripe_port), Stripe)
    threading.Thread(target=stripe.serve_forever, daemon=True).start()
    if args.serve_stripe_only:
        threading.Event().wait()

    admin = login(args.auth, os.environ["SHOPPER_ADMIN_EMAIL"], os.environ["SHOPPER_ADMIN_PASSWORD"])
    run = uuid.uuid4().hex[:12]
    status, product = call("POST", f"{args.product}/product", admin, {
        "sku": f"CHECKOUT-{run}", "name": "Bench mug", "description": "For the checkout bench",
        "price_cents": 1250, "stock": 10_000_000, "category": "bench"})
    assert status == 201, f"product: {status}"
    tokens = []
    for n in range(args.customers):
        email = f"checkout-{run}-{n}@bench.example"
        call("POST", f"{args.auth}/auth/register", body={"email": email, "password": PASSWORD, "name": "Bench Customer"})
        tokens.append(login(args.auth, email, PASSWORD))
    # The order service learns the product from the catalogue's events.
    for _ in range(400):
        if call("PUT", f"{args.order}/cart/items/{product['id']}", tokens[0], {"quantity": 1})[0] == 200:
            break
        time.sleep(0.05)

    times, errors, polls, lock = [], [], [0], threading.Lock()
    until = time.monotonic() + args.duration
    busy = [threading.Lock() for _ in tokens]  # one checkout at a time per customer: one cart each

    def one(n):
        customer = n % len(tokens)
        with busy[customer]:
            try:
                took, polled = checkout(args, tokens[customer], product["id"])
                with lock:
                    times.append(took)
                    polls[0] += polled
            except Exception as error:  # noqa: BLE001 - every failure counts as an error
                with lock:
                    if len(errors) < 5:
                        print(f"checkout failed: {error}", flush=True)
                    errors.append(error)

    started = time.monotonic()
    threads = []
    if args.rate:
        n, next_at = 0, started
        while time.monotonic() < until:
            thread = threading.Thread(target=one, args=(n,))
            thread.start()
            threads.append(thread)
            n += 1
            next_at += 1 / args.rate
            time.sleep(max(0, next_at - time.monotonic()))
    else:
        def loop(worker):
            # Each worker shops as its own customer (with --customers >= --concurrency), so no two
            # checkouts share a cart.
            while time.monotonic() < until:
                one(worker)

        threads = [threading.Thread(target=loop, args=(w,)) for w in range(args.concurrency)]
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stripe.shutdown()

    ms = sorted(t * 1000 for t in times)
    q = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))] if ms else 0.0
    print(
        f"checkouts={len(times) + len(errors)} paid={len(times)} errors={len(errors)} seconds={elapsed:.1f} "
        f"checkouts_per_sec={len(times) / elapsed:.1f} p50_ms={q(0.5):.1f} p99_ms={q(0.99):.1f} max_ms={(ms[-1] if ms else 0):.1f} polls={polls[0]}"
    )


if __name__ == "__main__":
    main()
