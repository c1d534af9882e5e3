"""Make-up evidence kept in three columns of the make-up before education 0008 becomes a
MakeupEvidence row (a PrivateFile) with its name, type, size and uploader, the file left where
it is; backwards, the columns come back filled."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from tests.migrating import every_app_at_its_latest_after, migrate

BEFORE = ("education", "0007_name_and_type_existing_uploads")
AFTER = ("education", "0008_makeup_evidence_is_a_private_file")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.mark.django_db(transaction=True)
def test_evidence_columns_become_private_file_rows_and_come_back(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stored = default_storage.save("education/makeups/2024/06/学习笔记.pdf", ContentFile(PDF))
    with every_app_at_its_latest_after():
        apps = migrate(BEFORE)
        Makeup = apps.get_model("education", "Makeup")
        HistoricalMakeup = apps.get_model("education", "HistoricalMakeup")
        fields = {"description": "自学", "studied_on": date(2024, 6, 1), "hours": "1.0"}
        with_file = Makeup.objects.create(
            member_id=cast.member.pk,
            evidence=stored,
            evidence_name="学习笔记.pdf",
            evidence_type="application/pdf",
            **fields,
        )
        gone = Makeup.objects.create(
            member_id=cast.peer.pk, evidence="education/makeups/2023/lost.docx", **fields
        )
        without = Makeup.objects.create(member_id=cast.secretary.pk, **fields)
        HistoricalMakeup.objects.create(
            id=with_file.pk,
            member_id=cast.member.pk,
            history_user_id=cast.member.account_id,
            history_date=timezone.now(),
            history_type="+",
            created_at=with_file.created_at,
            **fields,
        )

        apps = migrate(AFTER)
        Evidence = apps.get_model("education", "MakeupEvidence")
        rows = {
            e.makeup_id: (
                e.file.name,
                e.original_name,
                e.content_type,
                e.size,
                e.uploaded_by_id,
                e.uploaded_at,
            )
            for e in Evidence.objects.all()
        }
        assert rows == {
            with_file.pk: (
                stored,
                "学习笔记.pdf",
                "application/pdf",
                len(PDF),
                cast.member.account_id,
                with_file.created_at,
            ),
            # No name or type recorded, the file gone from the disk: named from its path,
            # served as an opaque download (404 while it is missing), size unknown.
            gone.pk: (
                "education/makeups/2023/lost.docx",
                "lost.docx",
                "application/octet-stream",
                0,
                None,
                gone.created_at,
            ),
        }
        assert without.pk not in rows
        with connection.cursor() as cursor:
            columns = [
                c.name
                for c in connection.introspection.get_table_description(cursor, "education_makeup")
            ]
        assert not {"evidence", "evidence_name", "evidence_type"} & set(columns)

        apps = migrate(BEFORE)
        Makeup = apps.get_model("education", "Makeup")
        back = {
            m.pk: (m.evidence.name, m.evidence_name, m.evidence_type)
            for m in Makeup.objects.exclude(evidence="")
        }
        assert back == {
            with_file.pk: (stored, "学习笔记.pdf", "application/pdf"),
            gone.pk: ("education/makeups/2023/lost.docx", "lost.docx", "application/octet-stream"),
        }
