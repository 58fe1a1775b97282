"""Schemathesis hooks for .ci/fuzz-api: how to send the bodies it has no serializer for."""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The catalogue import's body: each generated item on a line of its own, as JSON."""
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode()
