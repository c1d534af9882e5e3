"""企业微信 (WeCom) group robot: POST JSON to the robot's webhook address (…/webhook/send?key=…).

Request: {"msgtype": "markdown", "markdown": {"content": "…"}} (content at most 4096 bytes).
Answer: {"errcode": 0, "errmsg": "ok"}. Rate limit: 20 messages a minute per robot; beyond it
errcode 45009 ("api freq out of limit"). A wrong or deleted robot key: errcode 93000
("invalid webhook url").
"""

from . import http

LIMITS = ((60, 20),)  # (seconds, requests) per robot
RATE_LIMITED = {45009}
TEMPORARY = {-1}  # system busy
MAX_CONTENT_BYTES = 4096


def request(*, url: str, secret: str, message: http.Message, now: float):
    lines = [f"**{message.title}**"]
    lines += [f"> {line}" for line in message.body.splitlines() if line.strip()]
    if message.link:
        lines.append(f"[{message.link}]({message.link})")
    content = http.clip("\n".join(lines), MAX_CONTENT_BYTES)
    body = http.json_body({"msgtype": "markdown", "markdown": {"content": content}})
    return url, body, {"Content-Type": "application/json; charset=utf-8"}


interpret = http.errcode_interpreter("WeCom", RATE_LIMITED, TEMPORARY, 60)
