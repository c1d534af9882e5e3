"""飞书 (Feishu / Lark) custom bot: POST JSON to …/open-apis/bot/v2/hook/….

Signed bots ("签名校验"): string_to_sign = timestamp + "\\n" + secret is the HMAC-SHA256 *key*
over an empty message, base64-encoded; timestamp in seconds (within an hour); both go in the
JSON body as "timestamp" (a string) and "sign".
Request: {"msg_type": "post", "content": {"post": {"zh_cn": {"title": …, "content": [[…]]}}}}.
Answer: {"code": 0, "msg": "success", "data": {}} (older bots also StatusCode 0). Limits: 100
requests a minute and 5 a second per bot; beyond them code 11232. 19021: bad signature or
stale timestamp; 9499: bad request; 19022: IP not allowed; 19024: keywords not found;
19001: invalid or deleted webhook.
"""

import base64
import hashlib
import hmac

from . import http

LIMITS = ((1, 5), (60, 100))
RATE_LIMITED = {11232}
MAX_BODY_BYTES = 20 * 1024


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def request(*, url: str, secret: str, message: http.Message, now: float):
    rows = [[{"tag": "text", "text": line}] for line in message.body.splitlines() if line.strip()]
    if message.link:
        rows.append([{"tag": "a", "text": message.link, "href": message.link}])
    payload = {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": message.title, "content": rows}}},
    }
    if secret:
        timestamp = int(now)
        payload = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **payload}
    body = http.json_body(payload)
    if len(body) > MAX_BODY_BYTES:
        payload["content"]["post"]["zh_cn"]["content"] = [
            [{"tag": "text", "text": http.clip(message.body, MAX_BODY_BYTES // 2)}]
        ]
        body = http.json_body(payload)
    return url, body, {"Content-Type": "application/json; charset=utf-8"}


def interpret(status: int, answer: bytes, headers: dict) -> http.Outcome:
    data = http.json_answer(answer)
    code = data.get("code", data.get("StatusCode"))
    if status >= 400 and code is None:
        return http.http_status_outcome(status, headers, "Feishu")
    error = f"Feishu {code}: {data.get('msg', data.get('StatusMessage', ''))}"[:300]
    if code == 0:
        return http.ACCEPTED
    if code in RATE_LIMITED:
        return http.Outcome(error=error, rate_limited=True, retry_after=60)
    if code is None or status >= 500:
        return http.Outcome(error=error)
    return http.Outcome(error=error, permanent=True)
