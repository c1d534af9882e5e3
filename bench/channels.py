"""Timing of a branch-wide notice to every branch (issue 14), kept apart from the harness.

Run it against a seeded database (e.g. one `python -m bench.run --reuse-db` left behind, or
`python -m bench.seed --members 100000`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> DJANGO_DEBUG=1 \\
        python manage.py shell -c "from bench.channels import run; print(run())"

It gives every active branch a WeCom robot pointing at a local HTTP server that answers like
WeCom, times queueing one notice to every branch (group_notice), then the sender delivering
all of them (deliveries_send, in one process), checks a re-run queues nothing, and removes
what it created. Nothing leaves the machine.
"""

import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import transaction
from django.test import override_settings

from members.channels import services
from members.channels.models import BranchChannel, Delivery, RateWindow
from members.models import Organization, OrganizationKind

KIND = "bench.branch_notice"


class _WeCom(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with _WeCom.lock:
            _WeCom.received += 1
        data = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def run() -> dict:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WeCom)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?"
    root = Organization.get_root_nodes().first()
    branches = list(
        Organization.objects.filter(kind=OrganizationKind.BRANCH, is_active=True).values_list(
            "pk", flat=True
        )
    )
    try:
        with override_settings(
            BRANCHSITE_CHANNEL_URL_PREFIXES={"wecom": [base]}, CELERY_TASK_ALWAYS_EAGER=True
        ):
            BranchChannel.objects.bulk_create(
                BranchChannel(organization_id=pk, kind="wecom", webhook_url=f"{base}key=b{pk}")
                for pk in branches
            )
            started = time.perf_counter()
            with transaction.atomic():
                queued = services.group_notice(
                    kind=KIND,
                    subject=root,
                    branch_ids=branches,
                    due_date=date.today(),
                    title="明天 9:00 支部党员大会",
                    body="地点：党员活动室\n应到：22人",
                    url="/",
                )
            queue_seconds = time.perf_counter() - started
            started = time.perf_counter()
            counts = {}
            while Delivery.objects.filter(kind=KIND, state=Delivery.State.PENDING).exists():
                for key, n in services.deliveries_send().items():
                    counts[key] = counts.get(key, 0) + n
            send_seconds = time.perf_counter() - started
            requeued = services.group_notice(
                kind=KIND, subject=root, branch_ids=branches, due_date=date.today(), title="x"
            )
    finally:
        Delivery.objects.filter(kind=KIND).delete()
        RateWindow.objects.filter(name__startswith="robot:").delete()
        BranchChannel.objects.filter(webhook_url__startswith=base).delete()
        server.shutdown()
    return {
        "branches": len(branches),
        "queued": queued,
        "queue_seconds": round(queue_seconds, 2),
        "send_seconds": round(send_seconds, 2),
        "accepted": counts.get("accepted", 0),
        "received_by_server": _WeCom.received,
        "requeued_on_rerun": requeued,
    }
