"""One outgoing POST with a connect timeout and a read timeout, and what a service answered.

http.client rather than a client library (none is pinned): connect (TCP and TLS) under one
timeout, then every read under another, so an unreachable endpoint costs seconds, never the
worker. Nothing here touches the database: senders run these calls in threads.
"""

import http.client
import json
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from ..params import ascii_digits

MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Message:
    """What to say, rendered in the site's language when the event was queued."""

    title: str
    body: str
    link: str  # absolute, or "" when the site's address is not configured
    event_key: str
    kind: str
    delivery_id: int
    organization: str = ""


@dataclass(frozen=True)
class Outcome:
    """The service's verdict on one message.

    accepted: the service took it (never send again). permanent: it never will (bad address,
    revoked robot, bad signature) - stop. Otherwise temporary: retry later, after retry_after
    seconds when the service said how long (a rate-limit answer), with backoff otherwise.
    unreachable: no answer at all (timeout, refused): leave the endpoint alone for this run.
    """

    accepted: bool = False
    permanent: bool = False
    error: str = ""
    retry_after: float | None = None
    rate_limited: bool = False
    unreachable: bool = False


ACCEPTED = Outcome(accepted=True)


def post(url: str, body: bytes, headers: dict) -> tuple[int, bytes, dict]:
    """POST body to url; (status, answer, headers). Raises OSError (timeouts included)."""
    parts = urlsplit(url)
    connect_timeout = settings.BRANCHSITE_CHANNEL_CONNECT_TIMEOUT
    read_timeout = settings.BRANCHSITE_CHANNEL_READ_TIMEOUT
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname,
            parts.port,
            timeout=connect_timeout,
            context=ssl.create_default_context(),
        )
    elif parts.scheme == "http":
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout)
    else:
        raise ValueError(f"unsupported scheme {parts.scheme!r}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.connect()
        conn.sock.settimeout(read_timeout)
        conn.request("POST", path, body=body, headers={"Content-Length": str(len(body)), **headers})
        response = conn.getresponse()
        answer = response.read(MAX_ANSWER_BYTES)
        return response.status, answer, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def call(url: str, body: bytes, headers: dict, interpret) -> Outcome:
    """post(), then interpret(status, answer, headers) -> Outcome; no answer is temporary."""
    try:
        status, answer, answer_headers = post(url, body, headers)
    except TimeoutError:
        return Outcome(error="timeout", unreachable=True)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(error=f"unreachable: {exc}"[:300], unreachable=True)
    return interpret(status, answer, answer_headers)


def json_answer(answer: bytes) -> dict:
    try:
        data = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def http_status_outcome(status: int, headers: dict, what: str) -> Outcome | None:
    """The verdict from the HTTP status alone, or None when the body has to decide."""
    if status == 429:
        return Outcome(
            error=f"{what}: HTTP 429", rate_limited=True, retry_after=_retry_after(headers)
        )
    if status >= 500 or status == 408:
        return Outcome(error=f"{what}: HTTP {status}")
    if status >= 400:
        return Outcome(error=f"{what}: HTTP {status}", permanent=True)
    return None


def errcode_interpreter(service: str, rate_limited: set, temporary: set, rate_limit_pause: float):
    """The `interpret` of a robot API that answers {"errcode": 0, "errmsg": …} (WeCom,
    DingTalk): 0 accepted; a rate-limit code waits rate_limit_pause seconds; a temporary code
    or no code is tried again; any other code is permanent."""

    def interpret(status: int, answer: bytes, headers: dict) -> Outcome:
        verdict = http_status_outcome(status, headers, service)
        if verdict is not None:
            return verdict
        data = json_answer(answer)
        code = data.get("errcode")
        error = f"{service} {code}: {data.get('errmsg', '')}"[:300]
        if code == 0:
            return ACCEPTED
        if code in rate_limited:
            return Outcome(error=error, rate_limited=True, retry_after=rate_limit_pause)
        if code in temporary or code is None:
            return Outcome(error=error)
        return Outcome(error=error, permanent=True)

    return interpret


def _retry_after(headers: dict) -> float | None:
    raw = headers.get("retry-after", "")
    return float(raw) if ascii_digits(raw) else None


def clip(text: str, limit_bytes: int) -> str:
    """text cut to at most limit_bytes of UTF-8, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit_bytes:
        return text
    return data[: limit_bytes - 3].decode("utf-8", "ignore") + "…"


def json_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
