"""Every page of the site, as each role of the standing cast, for whole-site browser checks.

The list is derived from the URL resolver: every named URL without parameters is a candidate
as it is, and every one with parameters takes them from `ARGS` (built on the seeded `world`).
A named URL with parameters that is in neither `ARGS` nor `NOT_PAGES` fails
`test_every_url_is_either_scanned_or_declared_not_a_page`, so a new page cannot slip past.
Whether a role may open a page is not restated here: the page answers (200 HTML) or it does not
(403/404/302/405 or a download), exactly as the role × page matrices pin it.
"""

from datetime import date
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from appraisal.models import Step
from appraisal.services.meetings import life_meeting_save, rectification_add
from appraisal.services.publicity import objection_answer, objection_file
from education import services as education_services
from members import services as member_services
from tests.appraisal.commendation_helpers import propose
from tests.appraisal.cycles import YEAR, move_to, open_cycle, submitted_self_assessment, vote
from tests.education.helpers import at, held, plan
from tests.members.protection_helpers import build_world

# Named URLs that are not pages a person reads: downloads, feeds, POST-only actions, htmx
# partials, redirects and Django's own machinery.
NOT_PAGES = {
    "logout",
    "set_language",
    "healthz",
    "favicon",
    "password_reset_confirm",  # needs a live token; the form is the same as password_change
    "second_factor_verify",  # a redirect to set-up for anyone without an authenticator
    "members:inbox_mark_read",
    "members:inbox_open",  # a redirect to the notification's page
    "members:roster_export",
    "members:roster_import_template",
    "members:case_evidence_add",
    "members:case_transition",
    "members:case_action_add",
    "members:case_assign",
    "members:case_clarification_add",
    "members:case_evidence",
    "members:case_follow_up_done",
    "members:case_unassign",
    "members:case_clarification_consent",
    "members:case_void",  # POST-only: the reason form is on the case page
    "appraisal:cycle_void",  # POST-only, likewise on the cycle page
    "appraisal:meeting_void",  # POST-only, on the life-meeting page
    "appraisal:commendation_void",  # POST-only, on the commendation page
    "education:session_mark",
    "education:session_close",
    "education:session_ics",
    "education:material_add",
    "education:checkin_qr",  # the htmx partial inside checkin_screen
    "education:material_download",
    "education:material_delete",
    "education:makeup_review",
    "education:makeup_evidence",
    "education:hours_branch_export",
    "education:hours_rollup_export",
    "education:hours_member_export",
    "education:calendar_regenerate",
    "education:calendar_revoke",
    "education:calendar_feed",
    "appraisal:rating_decide",
    "appraisal:objection_answer",
    "appraisal:export_results",
    "appraisal:rectification_done",
    "appraisal:commendation_export",
    "appraisal:commendation_approve",
    "appraisal:commendation_reject",
    "appraisal:commendation_publish",
    "appraisal:commendation_document_add",
    "appraisal:commendation_document",
}

# Arguments for named URLs with parameters: a list of argument lists (one page each).
ARGS = {
    "members:member_detail": lambda w: [[w.cast.member.pk]],
    "members:member_edit": lambda w: [[w.cast.member.pk]],
    "members:member_transfer": lambda w: [[w.cast.member.pk]],
    "members:tree_children": lambda w: [[w.cast.c1.pk]],
    "members:case_detail": lambda w: [[w.case.ref]],
    "members:channel_settings": lambda w: [[w.cast.branch.pk]],
    "members:delivery_log": lambda w: [[w.cast.branch.pk]],
    "education:session_detail": lambda w: [[w.planned.pk], [w.past.pk]],
    "education:session_edit": lambda w: [[w.planned.pk]],
    "education:session_expected": lambda w: [[w.planned.pk]],
    "education:session_log": lambda w: [[w.past.pk]],
    "education:session_cancel": lambda w: [[w.planned.pk]],
    "education:checkin_screen": lambda w: [[w.planned.pk]],
    "education:checkin_confirm": lambda w: [[w.planned.pk]],
    "education:checkin_scan": lambda w: [[w.planned.pk, "expired"]],
    "education:hours_member": lambda w: [[w.cast.member.pk]],
    "education:settings": lambda w: [[w.cast.branch.pk]],
    "appraisal:cycle_detail": lambda w: [[w.running.pk], [w.rating.pk], [w.closed.pk]],
    "appraisal:cycle_edit": lambda w: [[w.running.pk]],
    "appraisal:cycle_move": lambda w: [[w.running.pk], [w.rating.pk]],
    "appraisal:my_self_assessment": lambda w: [[w.running.pk]],
    "appraisal:self_assessment_list": lambda w: [[w.running.pk]],
    "appraisal:self_assessment_detail": lambda w: [[w.assessment.pk]],
    "appraisal:talk_list": lambda w: [[w.running.pk]],
    "appraisal:peer_reviews": lambda w: [[w.running.pk]],
    "appraisal:ballot": lambda w: [[w.running.pk]],
    "appraisal:paper_ballots": lambda w: [[w.running.pk]],
    "appraisal:tally": lambda w: [[w.running.pk], [w.rating.pk]],
    "appraisal:rating": lambda w: [[w.rating.pk]],
    "appraisal:publicity": lambda w: [[w.closed.pk]],
    "appraisal:prepare": lambda w: [[w.running.pk]],
    "appraisal:packet": lambda w: [[w.running.pk]],
    "appraisal:record_detail": lambda w: [[w.record.pk]],
    "appraisal:meeting_detail": lambda w: [[w.meeting.pk]],
    "appraisal:meeting_edit": lambda w: [[w.meeting.pk]],
    "appraisal:commendation_detail": lambda w: [[w.commendation.pk]],
    "appraisal:commendation_org": lambda w: [[w.cast.branch.pk]],
}

# A query string that makes a page show its content rather than a chooser.
QUERY = {
    "education:session_log_new": lambda w: f"?org={w.cast.branch.pk}",
    "education:hours_branch": lambda w: f"?branch={w.cast.branch.pk}",
    "education:compliance": lambda w: f"?branch={w.cast.branch.pk}",
    "education:compliance_rollup": lambda w: f"?org={w.cast.c1.pk}",
}


def named_patterns():
    """(full name, has parameters) of every named URL outside the admin."""

    def walk(patterns, namespace="", params=False):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name == "admin":
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns, params or bool(p.pattern.converters))
            elif isinstance(p, URLPattern) and p.name:
                yield namespace + p.name, params or bool(p.pattern.converters)

    seen = {}
    for name, has_params in walk(get_resolver().url_patterns):
        seen[name] = seen.get(name, False) or has_params
    return seen


def page_urls(world):
    """{url: name} of every candidate page."""
    urls = {}
    for name, has_params in sorted(named_patterns().items()):
        if name in NOT_PAGES:
            continue
        query = QUERY[name](world) if name in QUERY else ""
        if has_params:
            for args in ARGS[name](world) if name in ARGS else []:
                urls[reverse(name, args=args) + query] = name
        else:
            urls[reverse(name) + query] = name
    return urls


def seed_world(cast, media_root):
    """A little of everything on top of the cast, so that each page shows real content."""
    planned = plan(cast.branch, title="网络素养学习")
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={
            cast.member: "absent",
            cast.peer: "present",
            cast.secretary: "present",
            cast.committee_member: "late",
        },
    )
    education_services.material_add(
        session=planned, title="学习材料", file=SimpleUploadedFile("notes.txt", b"hello")
    )
    education_services.makeup_submit(
        member=cast.member,
        session=past,
        description="自学党章",
        studied_on=at(2025, 3, 20).date(),
        hours=2,
        evidence=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )

    running = open_cycle(cast.branch)
    assessment = submitted_self_assessment(running, cast.member)
    move_to(running, Step.BALLOT)
    vote(running, cast.peer)

    rating = open_cycle(cast.branch, year=YEAR - 2)
    move_to(rating, Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(rating, m)
    move_to(rating, Step.RATING)

    closed = open_cycle(cast.branch, year=YEAR - 1)
    move_to(closed, Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(closed, m)
    move_to(closed, Step.PUBLICITY)
    objection = objection_file(cycle=closed, member=cast.peer, text="异议")
    objection_answer(objection=objection, answer="答复")
    move_to(closed, Step.CLOSED)
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=closed.rating_due,
        title="组织生活会",
        attendees=[cast.member, cast.secretary],
    )
    rectification_add(
        meeting=meeting, description="加强学习", owner=cast.member, due_on=closed.rating_due
    )
    commendation = propose(cast)
    protection = build_world(cast)
    member_services.notify(
        kind="test.a11y",
        subject=cast.branch,
        recipient=cast.member,
        due_date=date(2026, 1, 1),
        title="测试通知",
        url=reverse("my_record"),
    )
    return SimpleNamespace(
        cast=cast,
        planned=planned,
        past=past,
        running=running,
        rating=rating,
        closed=closed,
        assessment=assessment,
        record=closed.records.get(member=cast.member),
        meeting=meeting,
        commendation=commendation,
        case=protection.case,
    )
