"""On PostgreSQL the pages' reads are prepared statements: values travel apart from the SQL
and a statement seen twice on a connection is planned once (planning cost the database more
than running a page's reads). DJANGO_DB_PREPARE=0 turns it off, for a pooler that cannot
keep prepared statements."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from members.models import Organization
from tests.factories import make_member, make_org

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def _database_settings(**env):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_DB_PREPARE"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from django.conf import settings; "
            "d = settings.DATABASES['default']; "
            "print(json.dumps([d['ENGINE'], d.get('OPTIONS', {})]))",
        ],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "branchsite.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_postgresql_prepares_statements_unless_turned_off():
    engine, on = _database_settings()
    assert engine == "branchsite.postgresql"
    assert on["server_side_binding"] is True
    assert on["prepare_threshold"] == 2
    engine, off = _database_settings(DJANGO_DB_PREPARE="0")
    assert engine == "django.db.backends.postgresql"
    assert "server_side_binding" not in off
    assert "prepare_threshold" not in off


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_a_page_read_again_runs_prepared_statements(client):
    member = make_member(make_org(), account=True)
    client.force_login(member.account)
    url = reverse("my_record")
    for _ in range(3):
        assert client.get(url).status_code == 200
    prepared = _prepared()
    # The member's own rows (/me/'s reads), each planned by PostgreSQL from a prepared
    # statement, not parsed and planned from new text on every request.
    member_reads = [sql for sql in prepared if '"members_member"' in sql and "$1" in sql]
    assert member_reads, sorted(prepared)
    assert all(prepared[sql] >= 1 for sql in member_reads)


@pytest.mark.django_db
def test_a_statement_with_more_values_than_the_protocol_binds_still_runs():
    """65 535 values at most are bound to one statement (a bulk delete's ids, a large
    import): a larger one runs with its values written in, as without prepared statements."""
    orgs = [make_org() for _ in range(3)]
    ids = [org.pk for org in orgs] + list(range(10**9, 10**9 + 70_000))
    assert Organization.objects.filter(pk__in=ids).count() == 3
    # ...and a write with every id (what Django's delete collector sends for related rows).
    assert Organization.objects.filter(pk__in=ids).update(code="x") == 3
    assert sorted(Organization.objects.values_list("code", flat=True)) == ["x", "x", "x"]
