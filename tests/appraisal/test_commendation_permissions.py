"""Role x page matrix for commendations."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.appraisal.commendation_helpers import pdf_file, propose, publish
from tests.conftest import ROLES

# Who manages the member's branch (and so sees its commendations in every state).
MANAGERS = {"secretary", "committee_member", "organizer", "admin"}
LIST_ROLES = MANAGERS | {"other_secretary", "other_organizer"}


@pytest.fixture
def proposed(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return propose(cast)


def expected(role, *, allowed, ok=200, forbidden=(), denied=404):
    if role == "anonymous":
        return 302
    if role in forbidden:
        return 403
    return ok if role in allowed else denied


def _pages(cast, c):
    doc = c.documents.get()
    return {
        "list": ("get", reverse("appraisal:commendation_list"), None, LIST_ROLES, 200, (), 403),
        "export": ("get", reverse("appraisal:commendation_export"), None, LIST_ROLES, 200, (), 403),
        "propose": (
            "get",
            reverse("appraisal:commendation_propose"),
            None,
            LIST_ROLES,
            200,
            (),
            403,
        ),
        "detail": (
            "get",
            reverse("appraisal:commendation_detail", args=[c.pk]),
            None,
            MANAGERS,
            200,
            (),
            404,
        ),
        "document": (
            "get",
            reverse("appraisal:commendation_document", args=[doc.pk]),
            None,
            MANAGERS,
            200,
            (),
            404,
        ),
        "document_add": (
            "post",
            reverse("appraisal:commendation_document_add", args=[c.pk]),
            {"documents": pdf_file("补充.pdf")},
            MANAGERS,
            302,
            (),
            404,
        ),
        # The secretary proposed it and is not at the awarding level (C1); the branch's
        # committee member is not either.
        "approve": (
            "post",
            reverse("appraisal:commendation_approve", args=[c.pk]),
            {},
            MANAGERS,
            302,
            {"secretary", "committee_member"},
            404,
        ),
        "reject": (
            "post",
            reverse("appraisal:commendation_reject", args=[c.pk]),
            {"reason": "事迹材料不足"},
            MANAGERS,
            302,
            {"secretary", "committee_member"},
            404,
        ),
        "publish": (
            "post",
            reverse("appraisal:commendation_publish", args=[c.pk]),
            {},
            MANAGERS,
            302,
            {"secretary", "committee_member"},
            404,
        ),
        # Voiding one recorded in error: the awarding level, as for deciding.
        "void": (
            "post",
            reverse("appraisal:commendation_void", args=[c.pk]),
            {"reason": "录入有误"},
            MANAGERS,
            302,
            {"secretary", "committee_member"},
            404,
        ),
        "org": (
            "get",
            reverse("appraisal:commendation_org", args=[cast.branch.pk]),
            None,
            MANAGERS,
            200,
            (),
            404,
        ),
    }


PAGES = [
    "list",
    "export",
    "propose",
    "detail",
    "document",
    "document_add",
    "approve",
    "reject",
    "publish",
    "void",
    "org",
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_commendation_page_matrix(login, cast, proposed, role, page):
    method, url, data, allowed, ok, forbidden, denied = _pages(cast, proposed)[page]
    client = login(role)
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected(
        role, allowed=allowed, ok=ok, forbidden=forbidden, denied=denied
    )


@pytest.mark.parametrize("role", ROLES)
def test_published_commendation_is_readable_by_its_member_too(login, cast, proposed, role):
    publish(cast, proposed)
    client = login(role)
    detail = client.get(reverse("appraisal:commendation_detail", args=[proposed.pk]))
    document = client.get(
        reverse("appraisal:commendation_document", args=[proposed.documents.get().pk])
    )
    want = expected(role, allowed=MANAGERS | {"member"})
    assert detail.status_code == document.status_code == want


@pytest.mark.parametrize("role", ["other_secretary", "other_organizer"])
def test_lists_and_exports_outside_the_subtree_show_nothing(login, cast, proposed, role):
    client = login(role)
    page = client.get(reverse("appraisal:commendation_list") + "?year=").content.decode()
    assert "张伟" not in page
    export = client.get(reverse("appraisal:commendation_export") + "?year=")
    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1  # the header only


def test_downloads_are_attachments_that_are_not_sniffed(login, cast, proposed):
    response = login("organizer").get(
        reverse("appraisal:commendation_document", args=[proposed.documents.get().pk])
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    "role,shown",
    [
        ("member", False),
        ("peer", False),
        ("secretary", True),
        ("committee_member", True),
        ("organizer", True),
        ("admin", True),
    ],
)
def test_commendations_menu_entry_only_for_those_who_may_open_the_list(login, role, shown):
    client = login(role)
    page = client.get(reverse("home")).content.decode()
    link = f'href="{reverse("appraisal:commendation_list")}"'
    assert (link in page) is shown
    status = client.get(reverse("appraisal:commendation_list")).status_code
    assert (status == 200) is shown
