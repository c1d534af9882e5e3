"""The benchmark loads a page at every size in rounds that take turns, so a slow minute of the
machine falls on every size alike: two real HTTP servers stand in for two sizes' gunicorns."""

import argparse
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import run as bench_run


class _Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []  # (server label, path, cookie) in the order they were answered


def _server(label, recorder, status=200):
    """`status`: a number, or a function of how many requests this server has answered."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with recorder.lock:
                recorder.seen.append((label, self.path, self.headers.get("Cookie")))
                answered = sum(1 for seen in recorder.seen if seen[0] == label)
            code = status(answered) if callable(status) else status
            body = f"page {self.path} at {label}".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers():
    recorder = _Recorder()
    started = {n: _server(f"n{n}", recorder) for n in (1000, 1000000)}
    yield recorder, started
    for server in started.values():
        server.shutdown()
        server.server_close()


def _entry(cookie):
    return {"available": True, "url": "/floor/", "cookie": cookie, "level": "reference"}


def test_each_size_gets_its_budget_in_rounds_that_take_turns(servers):
    recorder, started = servers
    runs = {
        1000: {"pages": {"floor": _entry("sessionid=small")}},
        1000000: {"pages": {"floor": _entry("sessionid=large")}},
    }
    args = argparse.Namespace(rounds=3, concurrency=2, max_requests=30, duration=30)
    base_urls = {n: f"http://127.0.0.1:{s.server_address[1]}" for n, s in started.items()}

    bench_run.load_pages(args, [1000, 1000000], runs, base_urls)

    for n, label, cookie in ((1000, "n1000", "small"), (1000000, "n1000000", "large")):
        entry = runs[n]["pages"]["floor"]
        # The whole budget, counted once: 10 requests a round, 3 rounds (the duration is
        # long enough for every round to end on its count).
        assert (entry["ok"], entry["requests"], entry["errors"]) == (30, 30, {})
        assert entry["rounds"] == 3
        assert entry["rps"] > 0 and entry["p50_ms"] <= entry["p95_ms"] <= entry["max_ms"]
        assert entry["bytes"] == len(f"page /floor/ at {label}".encode())
        # The session is used, then kept out of the results.
        assert "cookie" not in entry
        mine = [seen for seen in recorder.seen if seen[0] == label]
        assert {seen[2] for seen in mine} == {f"sessionid={cookie}"}
        # One check and five warm-up requests before the 30 timed ones.
        assert len(mine) == 1 + 5 + 30

    # After both sizes' check and warm-up, the timed requests come as 3 rounds of the two
    # sizes, each round starting one size further on: 1000, 1000000 | 1000000, 1000 | 1000,
    # 1000000: four blocks, the middle two of two rounds each.
    timed = [seen[0] for seen in recorder.seen[12:]]
    blocks = [(label, len(list(group))) for label, group in itertools.groupby(timed)]
    assert blocks == [
        ("n1000", 10),
        ("n1000000", 20),
        ("n1000", 20),
        ("n1000000", 10),
    ]


def test_a_size_that_does_not_answer_200_is_left_out_and_the_others_measured(servers):
    recorder, started = servers
    failing = _server("broken", recorder, status=500)
    try:
        runs = {
            1000: {"pages": {"floor": _entry("sessionid=small")}},
            1000000: {"pages": {"floor": _entry("sessionid=large")}},
        }
        args = argparse.Namespace(rounds=2, concurrency=1, max_requests=4, duration=30)
        base_urls = {
            1000: f"http://127.0.0.1:{started[1000].server_address[1]}",
            1000000: f"http://127.0.0.1:{failing.server_address[1]}",
        }
        bench_run.load_pages(args, [1000, 1000000], runs, base_urls)
    finally:
        failing.shutdown()
        failing.server_close()

    broken = runs[1000000]["pages"]["floor"]
    assert broken["available"] is False and broken["broken"] is True
    assert broken["reason"] == "HTTP 500 from gunicorn"
    assert "cookie" not in broken
    assert runs[1000]["pages"]["floor"]["ok"] == 4
    # The failing server was asked once (the check), never loaded.
    assert [seen[0] for seen in recorder.seen].count("broken") == 1


def test_errors_and_the_budget_add_up_over_the_rounds():
    recorder = _Recorder()
    # After the check and five warm-ups (answers 1-6), every fifth answer is a 500.
    failing = _server("flaky", recorder, status=lambda k: 500 if k > 6 and k % 5 == 0 else 200)
    try:
        runs = {1000: {"pages": {"floor": _entry("sessionid=small")}}}
        args = argparse.Namespace(rounds=3, concurrency=2, max_requests=31, duration=30)
        base_urls = {1000: f"http://127.0.0.1:{failing.server_address[1]}"}
        bench_run.load_pages(args, [1000], runs, base_urls)
    finally:
        failing.shutdown()
        failing.server_close()

    entry = runs[1000]["pages"]["floor"]
    # 31 requests in three rounds (11, 10, 10): answers 7-37, of which 10, 15, ..., 35 failed.
    assert entry["requests"] == 31
    assert entry["errors"] == {"500": 6}
    assert entry["ok"] == 25
    assert len([seen for seen in recorder.seen if seen[0] == "flaky"]) == 1 + 5 + 31
