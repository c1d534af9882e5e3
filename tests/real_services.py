"""Real services for fault tests: a private redis-server, a stalling SMTP server, a Celery
worker in its own process, and the Celery app pointed at a given broker."""

import contextlib
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def child_env(**overrides):
    """The environment for a process a test starts: this one's, without the pytest-xdist
    worker name (settings would move REDIS_URL to the worker's own Redis database, which is
    the test process's business, not the child's), plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    return {**env, **overrides}


def _wait_port(port, *, up=True, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'}")


class RedisServer:
    """redis-server on a private port (6390-6399), no persistence; stop() and start() again."""

    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no"]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_port(self.port)
        return self

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
            _wait_port(self.port, up=False)


class SMTPStub:
    """A minimal SMTP server in a thread. A message counts as delivered only once the server
    has answered 250 to its DATA, as for a real server. With `stall_after = n`, the (n+1)th
    message's final 250 is never sent: the server waits until the client goes away (then that
    message was not delivered) and `stalled` is set."""

    def __init__(self, stall_after=None):
        self.delivered = []  # recipient addresses of accepted messages, in order
        self.stall_after = stall_after
        self.stalled = threading.Event()
        self.lock = threading.Lock()
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply("220 stub ESMTP")
                recipients = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode(errors="replace").strip().upper()
                    if verb.startswith(("EHLO", "HELO")):
                        self.reply("250 stub")
                    elif verb.startswith("MAIL"):
                        recipients = []
                        self.reply("250 OK")
                    elif verb.startswith("RCPT"):
                        recipients.append(verb.split(":", 1)[1].strip(" <>").lower())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        while self.rfile.readline() not in (b".\r\n", b".\n", b""):
                            pass
                        with stub.lock:
                            stall = (
                                stub.stall_after is not None
                                and len(stub.delivered) >= stub.stall_after
                            )
                        if stall:
                            stub.stalled.set()
                            self.rfile.read()  # until the client is gone: not delivered
                            return
                        with stub.lock:
                            stub.delivered.extend(recipients)
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class WorkerProcess:
    """`celery -A branchsite worker` in its own process, with the given environment."""

    def __init__(self, env, log_path):
        self.env = child_env(**env)
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")  # closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "branchsite", "worker", "--pool", "solo",
             "--without-heartbeat", "--without-gossip", "--without-mingle",
             "--loglevel", "INFO"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self._log = log
        return self

    def kill(self):
        """SIGKILL: no shutdown, no acknowledgement, no clean-up (a crash, the OOM killer)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None
            self._log.close()

    def stop(self):
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            self.process = None
            self._log.close()


@contextlib.contextmanager
def celery_broker(url):
    """The Celery app of this process publishes to `url` (not eager) until the block ends."""
    from branchsite.celery import app

    def reset():
        # Drop the references only: kombu keeps pools in a global registry, and a closed pool
        # found there later would refuse every publish.
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=url, task_always_eager=False, result_backend=None)
    reset()
    try:
        yield app
    finally:
        app.conf.update(saved)
        reset()


def wait_for(predicate, *, timeout, interval=0.2, every=None):
    """Poll predicate() until true (returns True) or timeout (returns False); every(): called
    each second meanwhile (e.g. what beat would publish)."""
    deadline = time.monotonic() + timeout
    last = 0.0
    while time.monotonic() < deadline:
        if predicate():
            return True
        if every is not None and time.monotonic() - last >= 1:
            every()
            last = time.monotonic()
        time.sleep(interval)
    return predicate()
