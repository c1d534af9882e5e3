import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from education.models import Material
from education.services.makeups import makeup_submit
from education.services.materials import material_add
from tests.education.helpers import at, held, plan


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached rollups must not leak between tests (ids and paths repeat across them)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def edu(cast):
    """A planned and a held session in branch A, one in branch Z, a material and a make-up."""
    planned = plan(cast.branch, title="网络素养学习")
    past = held(
        cast.branch,
        starts_at=at(2025, 3, 10),
        attendance={
            cast.member: "absent",
            cast.peer: "present",
            cast.secretary: "present",
            cast.committee_member: "late",
        },
    )
    far = plan(cast.far_branch, title="远方学习")
    material = material_add(
        session=planned, title="学习材料", file=SimpleUploadedFile("notes.txt", b"hello")
    )
    makeup = makeup_submit(
        member=cast.member,
        session=past,
        description="自学党章",
        studied_on=at(2025, 3, 20).date(),
        hours=2,
        evidence=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 test", "application/pdf"),
    )
    yield type(
        "Edu",
        (),
        {"planned": planned, "past": past, "far": far, "material": material, "makeup": makeup},
    )
    Material.objects.all().delete()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions read messages in English, whatever the zh_Hans catalog holds.
    settings.LANGUAGE_CODE = "en"
