"""A small world on the standing cast with one object of every kind a URL names, and the walk
over every URL of the site that fills each path from it (tests that visit every page)."""

from datetime import timedelta

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from education import services as education_services
from members.services import notify
from tests.appraisal import commendation_helpers
from tests.appraisal.cycles import YEAR, move_to, open_cycle, submitted_self_assessment, vote
from tests.education.helpers import at, held, plan
from tests.members import protection_helpers


def build_site_world(cast):
    """{kind: pk or ref} of one object of each kind, reachable by the cast of branch A."""
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
    feed = education_services.calendar_feed_regenerate(member=cast.organizer)

    running = open_cycle(cast.branch)
    from appraisal.services.meetings import life_meeting_save, rectification_add
    from appraisal.services.publicity import objection_answer, objection_file

    assessment = submitted_self_assessment(running, cast.member)
    closed = open_cycle(cast.branch, year=YEAR - 1)
    move_to(closed, "ballot")
    for m in (cast.member, cast.peer, cast.secretary):
        vote(closed, m)
    move_to(closed, "publicity")
    objection = objection_file(cycle=closed, member=cast.peer, text="异议")
    meeting = life_meeting_save(
        organization=cast.branch,
        kind="organizational_life_meeting",
        held_on=closed.rating_due,
        title="组织生活会",
        attendees=[cast.member, cast.secretary],
    )
    item = rectification_add(
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
    objection_answer(objection=objection, answer="答复")
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


# URL name -> which object of the world fills its path (unnamed ones: see path_kwargs).
OBJECT_OF = {
    "members:inbox_open": "notification",
    "members:channel_settings": "branch",
    "members:delivery_log": "branch",
    "members:member_detail": "member",
    "members:member_edit": "member",
    "members:member_transfer": "member",
    "members:tree_children": "org",
    "members:case_detail": "case",
    "members:case_evidence_add": "case",
    "members:case_transition": "case",
    "members:case_void": "case",
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
    "appraisal:meeting_void": "meeting",
    "appraisal:rectification_done": "item",
    "appraisal:commendation_detail": "commendation",
    "appraisal:commendation_approve": "commendation",
    "appraisal:commendation_reject": "commendation",
    "appraisal:commendation_publish": "commendation",
    "appraisal:commendation_void": "commendation",
    "appraisal:commendation_document_add": "commendation",
    "appraisal:commendation_document": "document",
    "appraisal:commendation_org": "org",
}
PREFIX_OBJECT = {"education:": "session", "appraisal:": "cycle"}


def site_patterns(patterns=None, namespace=""):
    """(name, pattern) of every named URL of the site, the admin's own aside."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from site_patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace + p.name, p


def path_kwargs(name, pattern, world):
    """The path arguments of a URL pattern, filled with objects of the world."""
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
