#!/usr/bin/env python3
"""Holds half-open connections against one service and checks that a normal client is served.

    bench/slow_clients.py [--port 8083] [--connections 3000] [--path /health/live]

Against 127.0.0.1 only. It opens CONNECTIONS connections that each send part of a request's
headers and then nothing, keeps them open, and meanwhile sends complete requests from one normal
client, timing each. Then it waits (at most two minutes) for the server to close the half-open
connections and reports how many it closed and after how long: with the default
HTTP_HEADER_READ_TIMEOUT_SECS that is about 10 seconds. Exit code 1 if a normal request failed
or a half-open connection outlived the wait.
"""

import argparse
import http.client
import selectors
import socket
import sys
import time

HOST = "127.0.0.1"
PARTIAL = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
WAIT_FOR_CLOSE_SECS = 120


def open_half_open(port: int, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        sock = socket.create_connection((HOST, port), timeout=5)
        sock.sendall(PARTIAL)
        sock.setblocking(False)
        held.append(sock)
    return held


def normal_requests(port: int, path: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        times.append(time.monotonic() - started)
    return times


def wait_until_closed(held: list[socket.socket], opened_at: float) -> list[float]:
    """Seconds from opening until the server closed each connection (EOF or reset)."""
    selector = selectors.DefaultSelector()
    for sock in held:
        selector.register(sock, selectors.EVENT_READ)
    closed = []
    deadline = opened_at + WAIT_FOR_CLOSE_SECS
    while len(closed) < len(held) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                closed.append(time.monotonic() - opened_at)
                selector.unregister(sock)
                sock.close()
    return closed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--connections", type=int, default=3000)
    parser.add_argument("--path", default="/health/live")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    if not 1 <= args.connections <= 10000:
        parser.error("--connections must be from 1 to 10000")

    opened_at = time.monotonic()
    held = open_half_open(args.port, args.connections)
    print(f"holding {len(held)} half-open connections to {HOST}:{args.port} "
          f"(opened in {time.monotonic() - opened_at:.1f} s)")
    try:
        times = normal_requests(args.port, args.path, args.requests)
    except (OSError, RuntimeError) as error:
        print(f"a normal client was NOT served: {error}")
        return 1
    times.sort()
    print(f"normal client: {len(times)} of {args.requests} requests answered 200 meanwhile, "
          f"median {times[len(times) // 2] * 1000:.1f} ms, slowest {times[-1] * 1000:.1f} ms")

    closed = wait_until_closed(held, opened_at)
    if closed:
        print(f"the server closed {len(closed)} of {len(held)} half-open connections, "
              f"the first after {min(closed):.1f} s and the last after {max(closed):.1f} s")
    if len(closed) < len(held):
        print(f"{len(held) - len(closed)} half-open connections were still open after {WAIT_FOR_CLOSE_SECS} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
