"""A small HTTP load generator (standard library only, loopback only).

Threads, each with its own keep-alive `http.client` connection (it reconnects by itself when
gunicorn's sync workers close the connection), share a budget of requests and a deadline.
Logging in goes through the real login form (/accounts/login/) with its CSRF token.
"""

import http.client
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class LoginFailed(RuntimeError):
    pass


@dataclass
class Target:
    host: str
    port: int

    @classmethod
    def from_url(cls, base_url):
        parts = urlsplit(base_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the benchmark only talks to loopback addresses")
        return cls(parts.hostname, parts.port or 80)

    def connection(self, timeout=120):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _cookies(response, jar):
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for key, morsel in cookie.items():
            jar[key] = morsel.value
    return jar


def _cookie_header(jar):
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login(target: Target, username: str, password: str) -> str:
    """Log in through the login form; returns the Cookie header of the session."""
    conn = target.connection()
    jar = {}
    try:
        conn.request("GET", "/accounts/login/", headers={"Host": target.host})
        response = conn.getresponse()
        body = response.read()
        _cookies(response, jar)
        match = CSRF_INPUT.search(body)
        if response.status != 200 or not match:
            raise LoginFailed(f"login page: HTTP {response.status}")
        form = urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": match.group(1).decode(),
            }
        )
        conn.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Host": target.host,
                "Content-Type": FORM_CONTENT_TYPE,
                "Cookie": _cookie_header(jar),
                "Referer": f"http://{target.host}:{target.port}/accounts/login/",
            },
        )
        response = conn.getresponse()
        response.read()
        _cookies(response, jar)
        if response.status != 302 or "sessionid" not in jar:
            raise LoginFailed(f"login as {username}: HTTP {response.status}")
    finally:
        conn.close()
    return _cookie_header(jar)


def send(conn, target: Target, method: str, path: str, cookie: str, *, body=None, content_type=""):
    """(status, body bytes, seconds) of one request on an open connection; a request with a
    body carries its content type and a same-site Referer (Django's CSRF check wants one)."""
    headers = {"Host": target.host, "Cookie": cookie}
    if body is not None:
        headers["Content-Type"] = content_type
        headers["Referer"] = f"http://{target.host}:{target.port}{path}"
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - started


def fetch(target: Target, path: str, cookie: str, conn=None):
    """(status, body bytes, seconds) of one GET."""
    own = conn is None
    conn = conn or target.connection()
    try:
        return send(conn, target, "GET", path, cookie)
    finally:
        if own:
            conn.close()


def multipart(fields, files):
    """(body, content type) of a multipart/form-data request."""
    boundary = "----branchsite-bench-" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post(target: Target, path: str, cookie: str, *, fields, files=None, timeout=120):
    """(status, body bytes, seconds) of one form POST (multipart when there are files).

    The session's CSRF cookie is in `cookie`; the caller passes the form's token in `fields`.
    """
    if files:
        body, content_type = multipart(fields, files)
    else:
        body, content_type = urlencode(fields).encode(), FORM_CONTENT_TYPE
    conn = target.connection(timeout=timeout)
    try:
        return send(conn, target, "POST", path, cookie, body=body, content_type=content_type)
    finally:
        conn.close()


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_clients(target: Target, *, concurrency: int, take, send_one):
    """Drive `concurrency` client threads, each on its own keep-alive connection, until take()
    (called under a lock) gives None; send_one(conn, item) sends one request and returns its
    (status, body, seconds).

    Returns the sorted latencies of the 200 answers, {status: count} of the others, the items
    answered 200, and the elapsed seconds.
    """
    lock = threading.Lock()
    latencies, errors, done = [], {}, []

    def client():
        conn = target.connection()
        try:
            while True:
                with lock:
                    item = take()
                if item is None:
                    return
                try:
                    status, _body, seconds = send_one(conn, item)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, seconds = type(exc).__name__, None
                with lock:
                    if status == 200:
                        latencies.append(seconds)
                        done.append(item)
                    else:
                        errors[str(status)] = errors.get(str(status), 0) + 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return latencies, errors, done, elapsed


def load_summary(latencies, errors, elapsed, concurrency) -> dict:
    """Requests, errors, requests per second and p50/p95/max latency (ms) of a run_clients run."""
    ok = len(latencies)
    return {
        "requests": ok + sum(errors.values()),
        "ok": ok,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round(ok / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1) if ok else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1) if ok else None,
        "max_ms": round(latencies[-1] * 1000, 1) if ok else None,
        "concurrency": concurrency,
    }


class Rounds:
    """The latencies, error counts and seconds of several load runs (a page's rounds) added
    up: each run's `(latencies, errors, elapsed)` goes to `add`, `summary` is load_summary's."""

    def __init__(self):
        self.latencies, self.errors, self.elapsed = [], {}, 0.0

    def add(self, latencies, errors, elapsed):
        self.latencies += latencies
        for status, count in errors.items():
            self.errors[status] = self.errors.get(status, 0) + count
        self.elapsed += elapsed

    def summary(self, concurrency):
        return load_summary(sorted(self.latencies), self.errors, self.elapsed, concurrency)


def round_share(total, rounds, r):
    """Round r's part of `total` split over `rounds`, the remainder to the first rounds."""
    return total // rounds + (r < total % rounds)


def budgeted(next_item, budget, seconds):
    """take() for run_clients: next_item() (None when there is none), at most `budget` times,
    for at most `seconds`."""
    deadline = time.perf_counter() + seconds

    def take():
        nonlocal budget
        if budget <= 0 or time.perf_counter() >= deadline:
            return None
        item = next_item()
        if item is not None:
            budget -= 1
        return item

    return take


def warm_up(target: Target, path: str, cookie: str, requests: int = 5):
    """A few requests on one connection before timing (connections, per-process caches)."""
    conn = target.connection()
    try:
        for _ in range(requests):
            fetch(target, path, cookie, conn)
    finally:
        conn.close()


def load_latencies(
    target: Target, path: str, cookie: str, *, concurrency: int, max_requests: int, duration: float
):
    """Hit one path with `concurrency` clients until max_requests or duration seconds: the
    sorted latencies of the 200 answers, {status: count} of the others, the elapsed seconds
    (a `Rounds` adds several up)."""
    latencies, errors, _done, elapsed = run_clients(
        target,
        concurrency=concurrency,
        take=budgeted(lambda: path, max_requests, duration),
        send_one=lambda conn, item: fetch(target, item, cookie, conn),
    )
    return latencies, errors, elapsed
