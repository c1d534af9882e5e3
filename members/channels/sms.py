"""An SMS gateway: one configurable HTTP gateway for the whole site, off unless
BRANCHSITE_SMS_URL is set (settings.py). Carriers only send approved templates, so the
request names a template id and its parameters, never free text:

POST BRANCHSITE_SMS_URL, application/json:
    {"phone": "+86…", "template_id": "…", "params": {"title": "…"}, "id": "<idempotency key>"}
Headers: X-Sms-Key (the account id), X-Sms-Timestamp (epoch seconds), X-Sms-Signature:
hex HMAC-SHA256(key=secret, msg=timestamp + "\\n" + body).
Answer: 2xx with {"code": 0} or {"code": "OK"} (or no code) accepts; a 2xx with another code
is refused for good (e.g. an invalid number); 429 and 5xx are retried; other 4xx stop.
"""

import hashlib
import hmac

from django.conf import settings

from . import http

MAX_TITLE_CHARS = 30  # template variables are short; carriers cut or refuse longer ones
TEMPORARY_CODES = {"busy", "throttled"}


def limits():
    return ((60, settings.BRANCHSITE_SMS_PER_MINUTE),)


def enabled() -> bool:
    return bool(settings.BRANCHSITE_SMS_URL and settings.BRANCHSITE_SMS_TEMPLATE_ID)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(
        secret.encode("utf-8"), f"{timestamp}\n".encode() + body, hashlib.sha256
    ).hexdigest()


def request(*, phone: str, message: http.Message, now: float):
    title = message.title
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1] + "…"
    body = http.json_body(
        {
            "phone": phone,
            "template_id": settings.BRANCHSITE_SMS_TEMPLATE_ID,
            "params": {"title": title},
            "id": f"{message.event_key}|{message.delivery_id}",
        }
    )
    timestamp = int(now)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Sms-Key": settings.BRANCHSITE_SMS_KEY_ID,
        "X-Sms-Timestamp": str(timestamp),
        "X-Sms-Signature": signature(settings.BRANCHSITE_SMS_SECRET, timestamp, body),
    }
    return settings.BRANCHSITE_SMS_URL, body, headers


def interpret(status: int, answer: bytes, headers: dict) -> http.Outcome:
    verdict = http.http_status_outcome(status, headers, "SMS")
    if verdict is not None:
        return verdict
    data = http.json_answer(answer)
    code = data.get("code", 0)
    if code in (0, "0", "OK", "ok"):
        return http.ACCEPTED
    error = f"SMS {code}: {data.get('message', data.get('msg', ''))}"[:300]
    if str(code).lower() in TEMPORARY_CODES:
        return http.Outcome(error=error)
    return http.Outcome(error=error, permanent=True)
