"""The production static build: `collectstatic` with the hashed, compressed manifest (README,
"Running in production") succeeds, and every file a template names is in the manifest."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]\s*%\}""")


@pytest.fixture
def manifest_build(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text())["paths"]


def test_collectstatic_with_the_manifest_hashes_every_file(manifest_build):
    bundle = manifest_build["vendor/bootstrap/bootstrap.bundle.min.js"]
    assert re.fullmatch(r"vendor/bootstrap/bootstrap\.bundle\.min\.[0-9a-f]{12}\.js", bundle)
    assert re.fullmatch(
        r"vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js", manifest_build["vendor/htmx/htmx.min.js"]
    )
    assert (Path(settings.STATIC_ROOT) / f"{bundle}.gz").exists()


def test_every_static_file_a_template_names_is_in_the_manifest(manifest_build):
    named = set()
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        named.update(STATIC_TAG.findall(template.read_text(encoding="utf-8")))
    assert named, "no {% static %} found: the pattern is wrong"
    assert sorted(named - set(manifest_build)) == []


def test_no_vendored_file_names_a_source_map_that_is_not_there():
    vendor = Path(settings.BASE_DIR, "static", "vendor")
    for path in [*vendor.rglob("*.js"), *vendor.rglob("*.css")]:
        for name in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", path.read_text("utf-8")):
            assert (path.parent / name).exists(), f"{path} names {name}"
