"""Existing materials and make-up evidence get the name and the served type every private
file has (members.uploads). Their files stay where they are (dated folders, the name the
user gave): they are served through the same permission-checked response, as an attachment
with the type fixed for the extension, or application/octet-stream for a retired kind such
as .doc. New uploads are checked by content and get random names."""

import os

from django.db import migrations

ALLOWED_TYPES = {  # members.uploads.ALLOWED_TYPES when this migration was written
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def _name_and_type(path):
    name = os.path.basename(path or "") or "file"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return name[:160], ALLOWED_TYPES.get(ext, "application/octet-stream")


def forwards(apps, schema_editor):
    Material = apps.get_model("education", "Material")
    Makeup = apps.get_model("education", "Makeup")
    for material in Material.objects.filter(original_name="").iterator():
        material.original_name, material.content_type = _name_and_type(material.file.name)
        material.save(update_fields=["original_name", "content_type"])
    for makeup in Makeup.objects.exclude(evidence="").filter(evidence_name="").iterator():
        makeup.evidence_name, makeup.evidence_type = _name_and_type(makeup.evidence.name)
        makeup.save(update_fields=["evidence_name", "evidence_type"])


class Migration(migrations.Migration):
    dependencies = [("education", "0006_private_files_void_sessions_kept_attendance")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
