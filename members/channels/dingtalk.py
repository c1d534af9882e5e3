"""钉钉 (DingTalk) custom group robot: POST JSON to …/robot/send?access_token=….

Signed robots ("加签", secret "SEC…"): sign = urlencode(base64(HMAC-SHA256(key=secret,
msg=timestamp + "\\n" + secret))), timestamp in milliseconds (within an hour of DingTalk's
clock), both added to the query string as `timestamp` and `sign`.
Request: {"msgtype": "markdown", "markdown": {"title": "…", "text": "…"}}.
Answer: {"errcode": 0, "errmsg": "ok"}. 20 messages a minute per robot; beyond it 410100 (older:
130101) "send too fast" and the robot is held back for 10 minutes. 310000: the security
settings refused the message (sign not match, keywords, IP); 300001 / 400101: no such token;
400102: robot stopped; 400106: robot does not exist.
"""

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

from . import http

LIMITS = ((60, 20),)
RATE_LIMITED = {410100, 130101}
RATE_LIMIT_PAUSE = 600  # DingTalk holds a robot back for 10 minutes after the limit
TEMPORARY = {-1}
MAX_TEXT_BYTES = 5000


def sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query parameter (already URL-encoded)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest))


def request(*, url: str, secret: str, message: http.Message, now: float):
    if secret:
        timestamp = int(now * 1000)
        joiner = "&" if "?" in url else "?"
        url = f"{url}{joiner}timestamp={timestamp}&sign={sign(secret, timestamp)}"
    text = [f"#### {message.title}", ""]
    text += [f"{line}  " for line in message.body.splitlines()]
    if message.link:
        text += ["", f"[{message.link}]({message.link})"]
    payload = {
        "msgtype": "markdown",
        "markdown": {
            "title": message.title,
            "text": http.clip("\n".join(text), MAX_TEXT_BYTES),
        },
    }
    return url, http.json_body(payload), {"Content-Type": "application/json; charset=utf-8"}


interpret = http.errcode_interpreter("DingTalk", RATE_LIMITED, TEMPORARY, RATE_LIMIT_PAUSE)
