"""A generic signed webhook, for a self-hosted messenger (e.g. an intranet chat server).

POST application/json: {"id", "event", "kind", "title", "body", "link", "organization"}.
Headers: X-Branchsite-Timestamp (epoch seconds), X-Branchsite-Delivery (the idempotency key:
the same for every attempt of one message, so the receiver can drop a repeat) and
X-Branchsite-Signature: "sha256=" + hex HMAC-SHA256(key=secret, msg=timestamp + "." + body).
Answer: any 2xx accepts; 429 (Retry-After honoured), 408 and 5xx are retried; other 4xx stop.
"""

import hashlib
import hmac

from . import http

LIMITS = ((60, 60),)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def request(*, url: str, secret: str, message: http.Message, now: float):
    body = http.json_body(
        {
            "id": message.delivery_id,
            "event": message.event_key,
            "kind": message.kind,
            "title": message.title,
            "body": message.body,
            "link": message.link,
            "organization": message.organization,
        }
    )
    timestamp = int(now)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Branchsite-Timestamp": str(timestamp),
        "X-Branchsite-Delivery": message.event_key,
        "X-Branchsite-Signature": signature(secret, timestamp, body),
    }
    return url, body, headers


def interpret(status: int, answer: bytes, headers: dict) -> http.Outcome:
    verdict = http.http_status_outcome(status, headers, "Webhook")
    return verdict if verdict is not None else http.ACCEPTED
