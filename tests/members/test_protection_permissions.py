"""Role x page matrix for protection cases: who can reach which page, and that nobody outside
the case learns of it through any page, list, search, count or file."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Notification, Role
from members.permissions import scope_for
from members.protection import services
from members.protection.models import CaseAssignment, CaseKind, CaseView, ProtectionCase
from members.protection.permissions import cases_visible_to
from members.protection.selectors import protection_dashboard_section
from tests.conftest import ROLES
from tests.factories import make_position
from tests.members.protection_helpers import MARKER, accept_and_act, build_world, txt_file

# Roles that read the case: the member, the assigned handler, the designated organizer above.
READERS = {"member", "committee_member", "organizer"}
# Never: a peer of the same branch, the branch secretary (not assigned), another branch's
# secretary, an organizer of another subtree (even designated there), the site admin.
NON_READERS = set(ROLES) - READERS - {"anonymous"}


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(cast)


def expected(role, *, readers, ok, forbidden=()):
    """anonymous -> login redirect; outside the readers -> 404; readers -> ok or 403."""
    if role == "anonymous":
        return 302
    if role not in readers:
        return 404
    return 403 if role in forbidden else ok


def _pages(world, cast):
    case, evidence = world.case, world.evidence
    action = accept_and_act(cast, case, follow_up_due=timezone.localdate())
    clarification_post = {
        "text": "经核查，网传内容不实。",
        "issued_on": timezone.localdate().isoformat(),
        "published_where": "支部党员大会",
        "published_to": "全体党员",
        "approving_organization": cast.c1.pk,
        "approval_reference": "第一党委会议决定",
    }
    clarification = services.clarification_record(
        actor=cast.organizer.account,
        case=case,
        **{
            **clarification_post,
            "approving_organization": cast.c1,
            "issued_on": timezone.localdate(),
        },
    )
    handlers = {"committee_member", "organizer"}
    return {
        # name: (method, url, data, readers, ok status, roles among readers that get 403)
        "detail": ("get", reverse("members:case_detail", args=[case.ref]), None, READERS, 200, ()),
        "evidence": (
            "get",
            reverse("members:case_evidence", args=[evidence.ref]),
            None,
            READERS,
            200,
            (),
        ),
        "evidence_add": (
            "post",
            reverse("members:case_evidence_add", args=[case.ref]),
            {"files": txt_file()},
            READERS,
            302,
            (),
        ),
        "transition": (
            "post",
            reverse("members:case_transition", args=[case.ref]),
            {"action": "resolve"},
            READERS,
            302,
            {"member"},
        ),
        # Voiding a case opened in error: those who handle it, not the member.
        "void": (
            "post",
            reverse("members:case_void", args=[case.ref]),
            {"reason": "重复提交"},
            READERS,
            302,
            {"member"},
        ),
        "action_add": (
            "post",
            reverse("members:case_action_add", args=[case.ref]),
            {"kind": "talk", "acted_on": timezone.localdate().isoformat(), "description": "谈话"},
            READERS,
            302,
            {"member"},
        ),
        "follow_up_done": (
            "post",
            reverse("members:case_follow_up_done", args=[action.pk]),
            {},
            READERS,
            302,
            {"member"},
        ),
        "assign": (
            "post",
            reverse("members:case_assign", args=[case.ref]),
            {"handler": cast.secretary.pk},
            READERS,
            302,
            {"member", "committee_member"},
        ),
        "unassign": (
            "post",
            reverse("members:case_unassign", args=[world.assignment.pk]),
            {},
            READERS,
            302,
            {"member", "committee_member"},
        ),
        "clarification_add": (
            "post",
            reverse("members:case_clarification_add", args=[case.ref]),
            clarification_post,
            READERS,
            302,
            {"member"},
        ),
        "consent": (
            "post",
            reverse("members:case_clarification_consent", args=[clarification.pk]),
            {"consents": "1"},
            READERS,
            302,
            handlers,
        ),
    }


PAGE_NAMES = [
    "detail",
    "evidence",
    "evidence_add",
    "transition",
    "void",
    "action_add",
    "follow_up_done",
    "assign",
    "unassign",
    "clarification_add",
    "consent",
]


@pytest.mark.parametrize("page", PAGE_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_case_page_matrix(login, cast, world, role, page):
    method, url, data, readers, ok, forbidden = _pages(world, cast)[page]
    client = login(role)
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected(role, readers=readers, ok=ok, forbidden=forbidden)


@pytest.mark.parametrize("role", ROLES)
def test_case_list_and_open_pages(login, cast, world, role):
    client = login(role)
    listing = client.get(reverse("members:case_list"))
    opening = client.get(reverse("members:case_open"))
    if role == "anonymous":
        assert listing.status_code == opening.status_code == 302
    elif role in ("outsider", "admin"):  # no member record behind the login
        assert listing.status_code == opening.status_code == 404
    else:
        assert listing.status_code == opening.status_code == 200


def _case_traces(case):
    """What would give the case away: its refs, its description, place and links, and any
    protection notice. (Its kind is checked by changing it: the labels are in help texts.)"""
    return [
        MARKER,
        str(case.ref),
        case.short_ref,
        reverse("members:case_detail", args=[case.ref]),
        case.place,
        case.kind,
        "protection.",
    ]


def _kind_label_counts(page):
    counts = []
    for kind in CaseKind:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                counts.append(page.count(str(kind.label)))
    return counts


def _assert_no_trace(page, case, where):
    for trace in _case_traces(case):
        assert trace not in page, f"{trace!r} shown on {where}"


@pytest.mark.parametrize("role", sorted(NON_READERS))
def test_non_readers_learn_nothing_from_any_page_list_search_export_admin_or_count(
    login, cast, world, role
):
    """Every non-reader, the site admin included (the admin is not a case reader): nothing
    of the case on the case list and its search, the dashboard, the inbox, their own record,
    the member's page in the roster, the roster export, the admin lists; no count with it."""
    case = world.case
    accept_and_act(cast, case, follow_up_due=timezone.localdate())
    clarification = services.clarification_record(
        actor=cast.organizer.account,
        case=case,
        text=f"澄清{MARKER}",
        issued_on=timezone.localdate(),
        published_where="支部党员大会",
        published_to="全体党员",
        approving_organization=cast.c1,
        approval_reference="第一党委会议决定",
    )
    assert not clarification.member_consents  # not on the record: nobody else may see it
    client = login(role)
    pages = {
        **{
            f"case list{query}": reverse("members:case_list") + query
            for query in ("", f"?q={MARKER}", "?q=张伟", "?q=微博", "?status=in_progress")
        },
        "home": reverse("home"),
        "my record": reverse("my_record"),
        "inbox": reverse("members:inbox"),
        "member page": reverse("members:member_detail", args=[cast.member.pk]),
        "roster": reverse("members:roster") + f"?branch={cast.branch.pk}",
        "roster export": reverse("members:roster_export") + f"?branch={cast.branch.pk}&format=csv",
        "notifications admin": reverse("admin:members_notification_changelist"),
        "notifications admin search": reverse("admin:members_notification_changelist")
        + "?q=protection",
        "audit admin": reverse("admin:members_auditentry_changelist"),
        "members admin": reverse("admin:members_member_changelist"),
        "member admin page": reverse("admin:members_member_change", args=[cast.member.pk]),
    }

    def render_all():
        rendered = {}
        for where, url in pages.items():
            response = client.get(url)
            body = b"".join(response) if response.streaming else response.content
            page = body.decode("utf-8-sig", errors="replace")
            # A search box shows back what was typed; that is not the case speaking.
            rendered[where] = page.replace(f'value="{MARKER}"', 'value=""')
        return rendered

    before = render_all()
    for where, page in before.items():
        _assert_no_trace(page, case, where)
        assert 'data-testid="case-list"' not in page  # no case listed anywhere
        assert 'data-testid="cases-handling"' not in page
    # The kind: no page changes when it changes (its labels also appear in help texts).
    ProtectionCase.objects.filter(pk=case.pk).update(kind=CaseKind.THREAT)
    after = render_all()
    for where in pages:
        assert _kind_label_counts(before[where]) == _kind_label_counts(after[where]), where
    user = cast.users[role]
    assert not cases_visible_to(user).exists()
    assert protection_dashboard_section(user, scope_for(user), year=2025) is None
    # No notice about the case (the inbox's unread count would count it).
    member_id = scope_for(user).member_id
    assert not Notification.objects.filter(
        recipient_id=member_id, subject_type=ContentType.objects.get_for_model(case)
    ).exists()
    assert not Notification.objects.filter(recipient_id=member_id, kind__startswith="protection.")


@pytest.mark.parametrize("role", sorted(READERS))
def test_readers_find_the_case_in_their_list_and_search(login, cast, world, role):
    page = login(role).get(reverse("members:case_list") + "?q=张伟").content.decode()
    assert reverse("members:case_detail", args=[world.case.ref]) in page


def test_handler_dashboard_counts_only_what_they_may_read(cast, world):

    user = cast.users["organizer"]
    section = protection_dashboard_section(user, scope_for(user), year=2025)
    assert section["handling_open"] == 1 and section["waiting"] == 1
    html = render_to_string("members/_protection_dashboard_section.html", {"s": section})
    assert 'data-testid="cases-handling"' in html
    own = protection_dashboard_section(cast.member.account, scope_for(cast.member.account), year=1)
    assert own["own_open"] == 1 and own["handling_open"] == 0


def test_plain_organizer_without_designation_sees_nothing(login, cast, world):
    world.designation.ended_on = timezone.localdate() - timezone.timedelta(days=1)
    world.designation.started_on = world.designation.ended_on
    world.designation.save()
    client = login("organizer")
    assert client.get(reverse("members:case_detail", args=[world.case.ref])).status_code == 404
    assert (
        client.get(reverse("members:case_evidence", args=[world.evidence.ref])).status_code == 404
    )
    page = client.get(reverse("members:case_list") + f"?q={MARKER}").content.decode()
    assert 'data-testid="case-list"' not in page


def test_removed_handler_loses_access(login, cast, world):
    CaseAssignment.objects.filter(pk=world.assignment.pk).update(removed_at=timezone.now())
    assert (
        login("committee_member")
        .get(reverse("members:case_detail", args=[world.case.ref]))
        .status_code
        == 404
    )


def test_member_never_handles_own_case_even_when_designated(login, cast, world):
    make_position(cast.member, cast.c1, Role.ORGANIZER)  # an organizer there, and designated
    services.handler_designate(member=cast.member, organization=cast.c1)
    client = login("member")
    response = client.post(
        reverse("members:case_transition", args=[world.case.ref]), {"action": "accept"}
    )
    assert response.status_code == 403
    world.case.refresh_from_db()
    assert world.case.status == "reported"


def test_secretary_opens_on_behalf_then_cannot_read(login, cast, world, settings):
    client = login("secretary")
    form = client.get(reverse("members:case_open")).content.decode()
    assert 'name="on_behalf_of"' in form
    response = client.post(
        reverse("members:case_open"),
        {
            "on_behalf_of": cast.peer.pk,
            "kind": "threat",
            "description": "王芳收到威胁私信ZZ9。",
            "place": "私信",
            "occurred_on": timezone.localdate().isoformat(),
            "help_requested": "请协调公安机关。",
            "files": [txt_file("威胁.txt")],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "ZZ9" not in response.content.decode()
    case = ProtectionCase.objects.get(member=cast.peer)
    assert case.opened_on_behalf and case.evidence.count() == 1
    assert client.get(reverse("members:case_detail", args=[case.ref])).status_code == 404
    # The member concerned and the designated organizer can.
    assert login("peer").get(reverse("members:case_detail", args=[case.ref])).status_code == 200
    assert (
        login("organizer").get(reverse("members:case_detail", args=[case.ref])).status_code == 200
    )


def test_member_cannot_open_a_case_for_someone_else(login, cast, world):
    client = login("member")
    assert 'name="on_behalf_of"' not in client.get(reverse("members:case_open")).content.decode()
    # A forged field is ignored: the case is opened for the member themselves.
    client.post(
        reverse("members:case_open"),
        {
            "on_behalf_of": cast.peer.pk,
            "kind": "other",
            "description": "x",
            "place": "y",
            "occurred_on": timezone.localdate().isoformat(),
            "help_requested": "z",
        },
    )
    assert not ProtectionCase.objects.filter(member=cast.peer).exists()


def test_failed_reads_are_not_logged_as_views(login, cast, world):
    for role in NON_READERS:
        login(role).get(reverse("members:case_detail", args=[world.case.ref]))
    assert not CaseView.objects.exists()
