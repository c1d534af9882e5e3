"""Bad query parameters answer 400 or 404 on every page, never 500.

Walks EVERY URL pattern of the site (the admin's own pages aside), fills its path arguments
with objects of a small world built on the standing cast, and requests it as the site admin
and as the organizer above branch A with hostile values for every query parameter a view
reads: numbers too large for any column, negatives, words, NUL bytes, SQL, impossible dates
and very long strings. Any answer is fine except a server error.
"""

import uuid
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from appraisal.commendations.filters import CommendationFilter
from education import services as education_services
from members.filters import RosterFilter
from members.protection.forms import CaseSearchForm
from members.services import notify
from tests.appraisal import commendation_helpers
from tests.appraisal.cycles import YEAR, move_to, open_cycle, vote
from tests.education.helpers import at, held, plan
from tests.members import protection_helpers

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


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    planned = plan(cast.branch, title="网络素养学习")
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "absent", cast.peer: "present", cast.secretary: "present"},
    )
    material = education_services.material_add(
        session=planned,
        title="学习材料",
        file=commendation_helpers.pdf_file("notes.pdf"),
    )
    makeup = education_services.makeup_submit(
        member=cast.member,
        session=past,
        description="自学党章",
        studied_on=at(2025, 3, 20).date(),
        hours=2,
        evidence=commendation_helpers.pdf_file("proof.pdf"),
    )
    feed = education_services.calendar_feed_get_or_create(member=cast.organizer)

    running = open_cycle(cast.branch)
    from appraisal import services as appraisal_services

    assessment = appraisal_services.self_assessment_save(
        cycle=running,
        member=cast.member,
        study="学习",
        duties="履职",
        discipline="纪律",
        online_conduct="网络言行",
        improvements="改进",
        submit=True,
    )
    closed = open_cycle(cast.branch, year=YEAR - 1)
    move_to(closed, "ballot")
    for m in (cast.member, cast.peer, cast.secretary):
        vote(closed, m)
    move_to(closed, "publicity")
    objection = appraisal_services.objection_file(cycle=closed, member=cast.peer, text="异议")
    meeting = appraisal_services.life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=closed.rating_due,
        title="组织生活会",
        attendees=[cast.member, cast.secretary],
    )
    item = appraisal_services.rectification_add(
        meeting=meeting, description="加强学习", owner=cast.member, due_on=closed.rating_due
    )
    commendation = commendation_helpers.propose(cast)
    document = commendation.documents.get()

    protection = protection_helpers.build_world(cast)
    action = protection_helpers.accept_and_act(
        cast, protection.case, follow_up_due=timezone.localdate() + timedelta(days=3)
    )
    from members.protection import services as protection_services

    clarification = protection_services.clarification_record(
        actor=cast.organizer.account,
        case=protection.case,
        text="经组织核查，网传相关言论系断章取义，特此澄清。",
        issued_on=timezone.localdate(),
        published_where="第一党委会议",
        published_to="第一支部全体党员",
        approving_organization=cast.c1,
        approval_reference="第一党委2025年第3次会议",
    )
    notification = notify(
        kind="test",
        subject=past,
        recipient=cast.organizer,
        due_date=timezone.localdate(),
        title="通知",
        url="/",
    )
    appraisal_services.objection_answer(objection=objection, answer="答复")
    move_to(closed, "closed")
    record = closed.records.get(member=cast.member)
    return {
        "session": past.pk,
        "material": material.pk,
        "makeup": makeup.pk,
        "feed": feed.token,
        "cycle": running.pk,
        "closed": closed.pk,
        "assessment": assessment.pk,
        "objection": objection.pk,
        "record": record.pk,
        "meeting": meeting.pk,
        "item": item.pk,
        "commendation": commendation.pk,
        "document": document.pk,
        "case": protection.case.ref,
        "evidence": protection.evidence.ref,
        "assignment": protection.assignment.pk,
        "action": action.pk,
        "clarification": clarification.pk,
        "notification": notification.pk,
        "member": cast.member.pk,
        "org": cast.c1.pk,
        "branch": cast.branch.pk,
    }


# URL name -> which object of the world fills its path (unnamed ones: see _kwargs).
OBJECT_OF = {
    "members:inbox_open": "notification",
    "members:member_detail": "member",
    "members:member_edit": "member",
    "members:member_transfer": "member",
    "members:tree_children": "org",
    "members:case_detail": "case",
    "members:case_evidence_add": "case",
    "members:case_transition": "case",
    "members:case_action_add": "case",
    "members:case_assign": "case",
    "members:case_clarification_add": "case",
    "members:case_evidence": "evidence",
    "members:case_follow_up_done": "action",
    "members:case_unassign": "assignment",
    "members:case_clarification_consent": "clarification",
    "education:material_download": "material",
    "education:material_delete": "material",
    "education:makeup_review": "makeup",
    "education:makeup_evidence": "makeup",
    "education:hours_member": "member",
    "education:hours_member_export": "member",
    "education:calendar_feed": "feed",
    "education:settings": "branch",
    "appraisal:self_assessment_detail": "assessment",
    "appraisal:objection_answer": "objection",
    "appraisal:record_detail": "record",
    "appraisal:meeting_detail": "meeting",
    "appraisal:meeting_edit": "meeting",
    "appraisal:rectification_done": "item",
    "appraisal:commendation_detail": "commendation",
    "appraisal:commendation_approve": "commendation",
    "appraisal:commendation_reject": "commendation",
    "appraisal:commendation_publish": "commendation",
    "appraisal:commendation_document_add": "commendation",
    "appraisal:commendation_document": "document",
    "appraisal:commendation_org": "org",
}
PREFIX_OBJECT = {"education:": "session", "appraisal:": "cycle"}


def _patterns(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name and p.name not in SKIPPED:
            yield namespace + p.name, p


def _kwargs(name, pattern, world):
    converters = pattern.pattern.converters
    kwargs = {}
    for arg in converters:
        if arg == "uidb64":
            kwargs[arg] = "MQ"
        elif arg == "token" and name == "password_reset_confirm":
            kwargs[arg] = "set-password"
        elif arg == "code":
            kwargs[arg] = "abc"
        else:
            key = OBJECT_OF.get(name) or next(
                v for prefix, v in PREFIX_OBJECT.items() if name.startswith(prefix)
            )
            kwargs[arg] = world[key]
    return kwargs


def _server_error(name, response):
    # /healthz answers 503 by design when a service it checks (the broker's workers) is
    # down; that is its answer, not a crash.
    if name == "healthz" and response.status_code == 503:
        return False
    return response.status_code >= 500


def _urls(world):
    seen = set()
    for name, pattern in _patterns(get_resolver().url_patterns):
        url = reverse(name, kwargs=_kwargs(name, pattern, world))
        if url not in seen:
            seen.add(url)
            yield name, url


@pytest.mark.parametrize("role", ["admin", "organizer"])
def test_no_page_answers_500_to_hostile_query_parameters(world, login, role):
    client = login(role)
    client.raise_request_exception = False
    failures = []
    urls = list(_urls(world))
    assert len(urls) > 90  # every pattern of the site, not a sample
    for name, url in urls:
        # Every parameter at once, with each hostile value...
        attempts = [dict.fromkeys(PARAMETERS, value) for value in HOSTILE]
        # ...and each parameter alone (a view that refuses the first bad one must not hide
        # a crash on another), with every hostile value in turn across the site.
        offset = sum(map(ord, name))
        attempts += [{p: HOSTILE[(offset + i) % len(HOSTILE)]} for i, p in enumerate(PARAMETERS)]
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
    for name, pattern in _patterns(get_resolver().url_patterns):
        converters = pattern.pattern.converters
        if not any(type(c).__name__ == "IntConverter" for c in converters.values()):
            continue
        kwargs = _kwargs(name, pattern, world)
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
