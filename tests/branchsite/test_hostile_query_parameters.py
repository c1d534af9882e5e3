"""Bad query parameters answer 400 or 404 on every page, never 500.

Walks EVERY URL pattern of the site (the admin's own pages aside), fills its path arguments
with objects of a small world built on the standing cast, and requests it as the site admin
and as the organizer above branch A with hostile values for every query parameter a view
reads: numbers too large for any column, negatives, words, NUL bytes, SQL, impossible dates
and very long strings. Any answer is fine except a server error.
"""

import uuid

import pytest
from django.urls import reverse

from appraisal.commendations.filters import CommendationFilter
from members.filters import RosterFilter
from members.protection.forms import CaseSearchForm
from tests.site_world import build_site_world, path_kwargs, site_patterns

HOSTILE = (
    "99999999999999999999",
    "-1",
    "0",
    "abc",
    "1e9",
    "\x00",
    "%00",
    "' OR 1=1 --",
    "2026-13-45",
    "x" * 5000,
    "²",  # a digit to str.isdigit, not to int()
)

# Every query parameter name a view reads (request.GET, filter sets, search forms), and the
# usual suspects besides.
PARAMETERS = sorted(
    {
        "year",
        "page",
        "org",
        "organization",
        "branch",
        "group",
        "state",
        "status",
        "sort",
        "q",
        "member",
        "date",
        "month",
        "kind",
        "step",
        "format",
        "role",
        "title",
        "recipient",
        "next",
        "lang",
        "ref",
        "id",
        "pk",
    }
    | set(RosterFilter.base_filters)
    | set(CommendationFilter.base_filters)
    | set(CaseSearchForm.base_fields)
)

SKIPPED = {"logout", "set_language"}  # POST-only actions of Django's own
# Pages that read no query parameter get one request carrying every hostile value: /healthz
# waits a second for the workers' ping where none runs (the PostgreSQL run's test process).
READS_NO_PARAMETERS = {"healthz"}
# The walk is split into this many tests, URL names dealt out in turn, so pytest-xdist's
# workers share it evenly.
SHARDS = 6


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_site_world(cast)


def _server_error(name, response):
    # /healthz answers 503 by design when a service it checks (the broker's workers) is
    # down; that is its answer, not a crash.
    if name == "healthz" and response.status_code == 503:
        return False
    return response.status_code >= 500


def _urls(world, shard=None):
    seen = set()
    names = sorted({name for name, _pattern in site_patterns()} - SKIPPED)
    turn = {name: i % SHARDS for i, name in enumerate(names)}
    for name, pattern in site_patterns():
        if name in SKIPPED or (shard is not None and turn[name] != shard):
            continue
        url = reverse(name, kwargs=path_kwargs(name, pattern, world))
        if url not in seen:
            seen.add(url)
            yield name, url


def test_the_shards_together_walk_every_pattern(world):
    every = list(_urls(world))
    assert len(every) > 90  # every pattern of the site, not a sample
    assert sorted(u for shard in range(SHARDS) for u in _urls(world, shard)) == sorted(every)


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("role", ["admin", "organizer"])
def test_no_page_answers_500_to_hostile_query_parameters(world, login, role, shard):
    client = login(role)
    client.raise_request_exception = False
    failures = []
    urls = list(_urls(world, shard))
    assert len(urls) > 90 // SHARDS  # this shard's share of every pattern, not a sample
    for name, url in urls:
        offset = sum(map(ord, name))
        if name in READS_NO_PARAMETERS:
            attempts = [{p: HOSTILE[(offset + i) % len(HOSTILE)] for i, p in enumerate(PARAMETERS)}]
        else:
            # Every parameter at once, with each hostile value...
            attempts = [dict.fromkeys(PARAMETERS, value) for value in HOSTILE]
            # ...and each parameter alone (a view that refuses the first bad one must not
            # hide a crash on another), with every hostile value in turn across the site.
            attempts += [
                {p: HOSTILE[(offset + i) % len(HOSTILE)]} for i, p in enumerate(PARAMETERS)
            ]
        for params in attempts:
            response = client.get(url, params)
            if _server_error(name, response):
                which = next(iter(params)) if len(params) == 1 else "all"
                failures.append(f"{name} {which}={next(iter(params.values()))[:20]!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["admin", "organizer"])
def test_an_id_too_large_for_any_column_is_404(world, login, role):
    client = login(role)
    client.raise_request_exception = False
    failures = []
    for name, pattern in site_patterns():
        if name in SKIPPED:
            continue
        converters = pattern.pattern.converters
        if not any(type(c).__name__ == "IntConverter" for c in converters.values()):
            continue
        kwargs = path_kwargs(name, pattern, world)
        for arg, converter in converters.items():
            if type(converter).__name__ == "IntConverter":
                kwargs[arg] = 99999999999999999999
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        if _server_error(name, response):
            failures.append((name, url, response.status_code))
    assert not failures, failures


def test_an_unknown_uuid_is_404(world, login):
    client = login("admin")
    url = reverse("members:case_detail", kwargs={"ref": uuid.uuid4()})
    assert client.get(url).status_code == 404
