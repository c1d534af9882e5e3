"""manage.py backup_inventory: what .ci/backup_roundtrip.sh compares before and after a
restore (every table's row count, every upload's sha256, files records name but lack)."""

import hashlib
import io
import json

from django.core.management import call_command

from education.models import Material
from tests.education.helpers import plan


def _inventory():
    out = io.StringIO()
    call_command("backup_inventory", stdout=out)
    return json.loads(out.getvalue())


def test_counts_every_table_and_sums_every_upload(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "education" / "materials").mkdir(parents=True)
    content = "学习材料".encode()
    (tmp_path / "education" / "materials" / "a.pdf").write_bytes(content)
    Material.objects.create(
        session=plan(cast.branch), title="材料", file="education/materials/a.pdf"
    )

    inventory = _inventory()
    assert inventory["tables"]["members_member"] == 9
    assert inventory["tables"]["education_material"] == 1
    assert "django_migrations" in inventory["tables"]  # every table, not only the models'
    assert inventory["uploads"] == {
        "education/materials/a.pdf": hashlib.sha256(content).hexdigest()
    }
    assert inventory["referenced_uploads"] == 1 and inventory["missing_uploads"] == []


def test_names_the_files_records_point_to_but_the_folder_lacks(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Material.objects.create(
        session=plan(cast.branch), title="丢失", file="education/materials/lost.pdf"
    )
    assert _inventory()["missing_uploads"] == ["education/materials/lost.pdf"]
