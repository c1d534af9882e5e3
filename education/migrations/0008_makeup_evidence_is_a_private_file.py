"""A make-up study's evidence becomes a MakeupEvidence row, a PrivateFile like every other
upload (members.uploads), instead of three columns on the make-up. Each existing file moves
with its name, served type, size and uploader (from the make-up's history) and stays where it
is on disk; the columns go, from the history table too. Backwards, the columns come back
filled from the rows (the history's come back empty: its earlier values are not kept)."""

import os

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import migrations, models

import members.uploads

FALLBACK_TYPE = "application/octet-stream"  # members.uploads.FALLBACK_TYPE when written


def _size(name):
    try:
        return default_storage.size(name)
    except (OSError, NotImplementedError):
        return 0  # gone from the disk: served as 404, as before


def forwards(apps, schema_editor):
    Makeup = apps.get_model("education", "Makeup")
    HistoricalMakeup = apps.get_model("education", "HistoricalMakeup")
    MakeupEvidence = apps.get_model("education", "MakeupEvidence")
    with_files = Makeup.objects.exclude(evidence="").exclude(evidence__isnull=True)
    for row in with_files.values(
        "pk", "evidence", "evidence_name", "evidence_type", "created_at"
    ).iterator():
        name = row["evidence"]
        added = (
            HistoricalMakeup.objects.filter(id=row["pk"], history_type="+")
            .values_list("history_user_id", flat=True)
            .first()
        )
        MakeupEvidence.objects.create(
            makeup_id=row["pk"],
            file=name,
            original_name=row["evidence_name"] or os.path.basename(name)[:160] or "file",
            content_type=row["evidence_type"] or FALLBACK_TYPE,
            size=_size(name),
            uploaded_by_id=added,
            uploaded_at=row["created_at"],
        )


def backwards(apps, schema_editor):
    Makeup = apps.get_model("education", "Makeup")
    MakeupEvidence = apps.get_model("education", "MakeupEvidence")
    for row in MakeupEvidence.objects.values(
        "makeup_id", "file", "original_name", "content_type"
    ).iterator():
        Makeup.objects.filter(pk=row["makeup_id"]).update(
            evidence=row["file"],
            evidence_name=row["original_name"],
            evidence_type=row["content_type"],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0007_name_and_type_existing_uploads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MakeupEvidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "file",
                    models.FileField(
                        max_length=200,
                        upload_to=members.uploads.private_upload_to,
                        verbose_name="file",
                    ),
                ),
                ("original_name", models.CharField(max_length=160, verbose_name="file name")),
                ("content_type", models.CharField(max_length=100)),
                ("size", models.PositiveIntegerField(verbose_name="size")),
                ("uploaded_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "makeup",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",  # "evidence" once the column of that name is gone
                        to="education.makeup",
                        verbose_name="make-up study",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "make-up evidence",
                "verbose_name_plural": "make-up evidence",
            },
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="historicalmakeup", name="evidence"),
        migrations.RemoveField(model_name="historicalmakeup", name="evidence_name"),
        migrations.RemoveField(model_name="historicalmakeup", name="evidence_type"),
        migrations.RemoveField(model_name="makeup", name="evidence"),
        migrations.RemoveField(model_name="makeup", name="evidence_name"),
        migrations.RemoveField(model_name="makeup", name="evidence_type"),
        migrations.AlterField(
            model_name="makeupevidence",
            name="makeup",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence",
                to="education.makeup",
                verbose_name="make-up study",
            ),
        ),
    ]
