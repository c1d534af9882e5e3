"""What a backup must preserve, as JSON: every table's row count and every upload's sha256.

`.ci/backup_roundtrip.sh` (README, "Backup and restore") runs it on the original and on the
restored copy and compares the two; an operator can do the same after a real restore.
"""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, models


def table_counts():
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def upload_checksums(root):
    root = Path(root)
    sums = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
        sums[path.relative_to(root).as_posix()] = digest.hexdigest()
    return sums


def referenced_files():
    """Every file name a FileField of any record points to."""
    names = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and field.concrete:
                values = model._base_manager.exclude(**{field.name: ""}).values_list(
                    field.attname, flat=True
                )
                names.update(v for v in values if v)
    return sorted(names)


class Command(BaseCommand):
    help = "Print every table's row count and every upload's sha256 (JSON), to check a restore."

    def handle(self, *args, **options):
        uploads = upload_checksums(settings.MEDIA_ROOT)
        referenced = referenced_files()
        inventory = {
            "tables": table_counts(),
            "uploads": uploads,
            "referenced_uploads": len(referenced),
            "missing_uploads": [name for name in referenced if name not in uploads],
        }
        self.stdout.write(json.dumps(inventory, indent=1, sort_keys=True, ensure_ascii=False))
