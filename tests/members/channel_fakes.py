"""Local stand-ins for the services members/channels talks to: real HTTP servers, one per
service, each checking a request as the service does (path and token, signature, body shape,
rate limit) and answering with the service's own success and error bodies.

`script` lets a test make the next answers something else (a 502, a hang, a rate-limit
answer), as a real service sometimes does.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_PATH = "/cgi-bin/webhook/send"
DINGTALK_PATH = "/robot/send"
FEISHU_PATH = "/open-apis/bot/v2/hook/"


class FakeService:
    """One service: robots it knows {token: secret}, what it accepted, scripted answers."""

    name = ""
    limits = ()  # (seconds, requests)

    def __init__(self):
        self.robots = {}
        self.accepted = []  # parsed bodies of accepted messages, in order
        self.requests = 0
        self.script = []  # answers to give before checking: (status, dict) or "hang"
        self.sent_at = {}  # token -> [monotonic times]
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with service.lock:
                    service.requests += 1
                    scripted = service.script.pop(0) if service.script else None
                if scripted == "hang":
                    time.sleep(5)
                    return
                if scripted is not None:
                    status, answer = scripted
                else:
                    status, answer = service.answer(self, raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def over_limit(self, token):
        now = time.monotonic()
        with self.lock:
            times = [t for t in self.sent_at.get(token, []) if t > now - 61]
            if any(sum(1 for t in times if t > now - s) >= n for s, n in self.limits):
                return True
            times.append(now)
            self.sent_at[token] = times
        return False

    def accept(self, body):
        with self.lock:
            self.accepted.append(body)


class FakeWeCom(FakeService):
    """企业微信 group robot: ?key=…, markdown only here, 20 a minute (errcode 45009)."""

    name = "wecom"
    limits = ((60, 20),)

    def url(self, key):
        return f"{self.base}{WECOM_PATH}?key={key}"

    def answer(self, request, raw):
        parts = urlsplit(request.path)
        key = parse_qs(parts.query).get("key", [""])[0]
        if parts.path != WECOM_PATH or key not in self.robots:
            return 200, {
                "errcode": 93000,
                "errmsg": "invalid webhook url, hint: [x], more info at "
                "https://open.work.weixin.qq.com/devtool/query?e=93000",
            }
        body = json.loads(raw)
        content = body.get("markdown", {}).get("content")
        if body.get("msgtype") != "markdown" or not isinstance(content, str):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if len(content.encode()) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        if self.over_limit(key):
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
        self.accept(body)
        return 200, {"errcode": 0, "errmsg": "ok"}


class FakeDingTalk(FakeService):
    """钉钉 custom robot: ?access_token=…&timestamp=<ms>&sign=<urlencoded base64 HMAC>."""

    name = "dingtalk"
    limits = ((60, 20),)

    def url(self, token):
        return f"{self.base}{DINGTALK_PATH}?access_token={token}"

    def answer(self, request, raw):
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        token = query.get("access_token", [""])[0]
        if parts.path != DINGTALK_PATH or token not in self.robots:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.robots[token]
        if secret:
            timestamp = query.get("timestamp", [""])[0]
            sign = query.get("sign", [""])[0]  # parse_qs has URL-decoded it
            expected = base64.b64encode(
                hmac.new(
                    secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256
                ).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600_000
            if not fresh or not hmac.compare_digest(sign, expected):
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        body = json.loads(raw)
        md = body.get("markdown", {})
        if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        if self.over_limit(token):
            return 200, {"errcode": 410100, "errmsg": "send too fast, exceed 20 times per minute"}
        self.accept(body)
        return 200, {"errcode": 0, "errmsg": "ok"}


class FakeFeishu(FakeService):
    """飞书 custom bot: /hook/<token>; timestamp (s) and sign in the body, where
    sign = base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=""))."""

    name = "feishu"
    limits = ((1, 5), (60, 100))

    def url(self, token):
        return f"{self.base}{FEISHU_PATH}{token}"

    def answer(self, request, raw):
        path = urlsplit(request.path).path
        token = path[len(FEISHU_PATH) :] if path.startswith(FEISHU_PATH) else ""
        if token not in self.robots:
            return 200, {
                "code": 19001,
                "msg": "param invalid: incoming webhook access token invalid",
                "data": {},
            }
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"code": 9499, "msg": "Bad Request", "data": {}}
        secret = self.robots[token]
        if secret:
            timestamp = body.get("timestamp", "")
            key = f"{timestamp}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = str(timestamp).isdigit() and abs(time.time() - int(timestamp)) < 3600
            if not fresh or not hmac.compare_digest(body.get("sign", ""), expected):
                return 200, {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                    "data": {},
                }
        post = body.get("content", {}).get("post", {}).get("zh_cn", {})
        if body.get("msg_type") != "post" or not post.get("title"):
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}
        if self.over_limit(token):
            return 200, {
                "code": 11232,
                "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
                "data": {},
            }
        self.accept(body)
        return 200, {
            "StatusCode": 0,
            "StatusMessage": "success",
            "code": 0,
            "data": {},
            "msg": "success",
        }


class FakeWebhook(FakeService):
    """A self-hosted messenger: checks X-Branchsite-Signature over timestamp + "." + body."""

    name = "webhook"

    def url(self, token):
        return f"{self.base}/hook/{token}"

    def answer(self, request, raw):
        token = urlsplit(request.path).path.rsplit("/", 1)[-1]
        secret = self.robots.get(token)
        if secret is None:
            return 404, {"error": "no such hook"}
        timestamp = request.headers.get("X-Branchsite-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(request.headers.get("X-Branchsite-Signature", ""), expected):
            return 401, {"error": "bad signature"}
        body = json.loads(raw)
        body["_delivery"] = request.headers.get("X-Branchsite-Delivery")
        self.accept(body)
        return 202, {"ok": True}


class FakeSmsGateway(FakeService):
    """The SMS gateway: key id, signed body, a template id; invalid numbers refused."""

    name = "sms"
    KEY_ID, SECRET, TEMPLATE = "key-1", "sms-secret", "SMS_0001"

    def url(self, token=""):
        return f"{self.base}/sms/send"

    def answer(self, request, raw):
        timestamp = request.headers.get("X-Sms-Timestamp", "")
        expected = hmac.new(
            self.SECRET.encode(), f"{timestamp}\n".encode() + raw, hashlib.sha256
        ).hexdigest()
        if request.headers.get("X-Sms-Key") != self.KEY_ID or not hmac.compare_digest(
            request.headers.get("X-Sms-Signature", ""), expected
        ):
            return 403, {"code": "SignatureDoesNotMatch", "message": "bad signature"}
        body = json.loads(raw)
        if body.get("template_id") != self.TEMPLATE:
            return 200, {"code": "isv.SMS_TEMPLATE_ILLEGAL", "message": "unknown template"}
        if not str(body.get("phone", "")).lstrip("+").isdigit():
            return 200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "invalid number"}
        self.accept(body)
        return 200, {"code": "OK", "message": "OK"}
