"""Schemathesis hooks for `make fuzz-api`: every call carries its own Idempotency-Key and its own
client-chosen record id, so a retry-safety feature of the API is never mistaken for a rejected
valid request (the same key with another body is a documented 422)."""

import os
import re
import time
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
UUID_V7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def uuid7() -> str:
    """A fresh UUIDv7 (time-ordered, random tail)."""
    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 64) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


@schemathesis.hook
def before_call(ctx, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and VALID_KEY.match(headers[name]):
            headers[name] = str(uuid.uuid4())
    body = case.body
    if case.method.upper() == "POST" and isinstance(body, dict):
        if isinstance(body.get("id"), str) and UUID_V7.match(body["id"]):
            body["id"] = uuid7()
