"""Every upload of the site goes through members.uploads: one list of allowed types (no macro
formats), a check of the content (not the name), a random name on disk, and a download only
after a permission check, with attachment, nosniff, sandbox and no-store.

Walked for session materials and make-up evidence (education) on top of the case and
commendation tests in their own modules.
"""

import io
import os
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from education.models import Makeup, MakeupEvidence, Material
from education.services.makeups import makeup_submit
from education.services.materials import material_add
from members import uploads
from members.errors import DomainError
from tests.education.helpers import at, held, plan

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


def _office(ext, main_type, *, macros=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/main.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("main.xml", "<x/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return SimpleUploadedFile(f"file.{ext}", buffer.getvalue(), uploads.ALLOWED_TYPES.get(ext, ""))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload_material(client, session, upload):
    return client.post(
        reverse("education:material_add", args=[session.pk]), {"title": "学习提纲", "file": upload}
    )


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.pdf", b"<html><script>alert(1)</script>", "application/pdf"),
        SimpleUploadedFile("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword"),
        SimpleUploadedFile(
            "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-excel"
        ),
        SimpleUploadedFile("old.ppt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ""),
        _office("docm", "application/vnd.ms-word.document.macroEnabled.main+xml"),
        _office("xlsm", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        # A macro-enabled document renamed .docx, and a docx carrying a macro project.
        _office("docx", "application/vnd.ms-word.document.macroEnabled.main+xml"),
        _office(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            macros=True,
        ),
        # A spreadsheet named as a Word document.
        _office(
            "docx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
        ),
        SimpleUploadedFile("page.html", b"<html></html>", "text/html"),
    ],
    ids=lambda u: u.name,
)
def test_a_material_is_refused_by_its_content_or_kind(cast, login, upload):
    session = plan(cast.branch)
    response = _upload_material(login("secretary"), session, upload)
    assert response.status_code == 302
    assert not Material.objects.exists()


def test_makeup_evidence_and_materials_accept_the_same_types_as_cases():
    # One list for every upload: what a case accepts, a make-up and a material accept.
    assert set(uploads.ALLOWED_TYPES) == {
        "pdf",
        "jpg",
        "jpeg",
        "png",
        "txt",
        "docx",
        "xlsx",
        "pptx",
    }
    assert not {"doc", "xls", "ppt", "docm", "xlsm", "pptm"} & set(uploads.ALLOWED_TYPES)
    for office in ("docx", "xlsx", "pptx"):
        main = uploads._OFFICE_MAIN_PART[office]
        assert uploads.validate_upload(_office(office, main)) == (
            office,
            uploads.ALLOWED_TYPES[office],
        )


def test_a_good_pdf_is_kept_under_a_random_name_and_served_only_to_permitted_users(
    cast, login, settings
):
    session = plan(cast.branch)
    upload = SimpleUploadedFile("学习提纲 <终稿>.pdf", PDF, "application/pdf")
    assert _upload_material(login("secretary"), session, upload).status_code == 302
    material = Material.objects.get()
    stored = os.path.basename(material.file.name)
    assert material.original_name == "学习提纲 <终稿>.pdf"
    assert "学习" not in material.file.name and stored.endswith(".pdf") and len(stored) == 36
    assert material.file.name.startswith("education/materials/")
    assert material.content_type == "application/pdf" and material.size == len(PDF)

    url = reverse("education:material_download", args=[material.pk])
    response = login("member").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/pdf"
    # Outside the branch's reach: the file does not exist for them.
    assert login("other_secretary").get(url).status_code == 404
    assert login("outsider").get(url).status_code == 404
    assert login("anonymous").get(url).status_code == 302


def test_makeup_evidence_is_checked_named_and_served_like_every_private_file(cast, login):
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "absent", cast.secretary: "present"},
    )
    client = login("member")
    data = {
        "session": past.pk,
        "description": "自学党章",
        "studied_on": "2025-03-20",
        "hours": "1.0",
    }
    html = SimpleUploadedFile("proof.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = client.post(reverse("education:makeup_create"), {**data, "evidence": html})
    assert response.status_code == 200 and not Makeup.objects.exists()
    good = SimpleUploadedFile("证明.pdf", PDF, "application/pdf")
    response = client.post(reverse("education:makeup_create"), {**data, "evidence": good})
    assert response.status_code == 302
    makeup = Makeup.objects.get()
    evidence = makeup.evidence  # a MakeupEvidence: a PrivateFile like every other upload
    assert evidence.original_name == "证明.pdf" and "证明" not in evidence.file.name
    assert evidence.file.name.startswith("education/makeups/")
    assert (evidence.content_type, evidence.size) == ("application/pdf", len(PDF))
    assert evidence.uploaded_by == cast.member.account
    url = reverse("education:makeup_evidence", args=[makeup.pk])
    response = login("secretary").get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert login("peer").get(url).status_code == 404
    # The admin shows it under its make-up, read-only: files come in through the page.
    page = login("admin").get(reverse("admin:education_makeup_change", args=[makeup.pk]))
    assert page.status_code == 200 and "证明.pdf" in page.content.decode()
    assert 'type="file"' not in page.content.decode()


def test_a_refused_evidence_file_leaves_no_make_up_behind(cast):
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={cast.member: "absent", cast.secretary: "present"},
    )
    with translation.override("en"), pytest.raises(DomainError) as refused:
        makeup_submit(
            member=cast.member,
            session=past,
            description="自学党章",
            studied_on=date(2025, 3, 20),
            hours=Decimal("1.0"),
            evidence=SimpleUploadedFile("proof.pdf", b"<html>not a pdf</html>", "application/pdf"),
            actor=cast.member.account,
        )
    assert "does not match" in " ".join(refused.value.message_dict["evidence"])
    assert not Makeup.objects.exists() and not MakeupEvidence.objects.exists()


def test_an_old_material_with_a_dated_path_is_served_through_the_same_response(cast, login):
    """Rows from before random names keep their file; the migration gave them a name and a
    type, and a retired kind (.doc) is served as an opaque download."""
    session = plan(cast.branch)
    material = material_add(
        session=session,
        title="旧材料",
        file=SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
    )
    Material.objects.filter(pk=material.pk).update(
        original_name="旧的.doc", content_type=uploads.FALLBACK_TYPE
    )
    response = login("member").get(reverse("education:material_download", args=[material.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
