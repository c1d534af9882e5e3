import pytest

from tests.members.protection_helpers import build_world


@pytest.fixture
def world(cast, settings, tmp_path):
    """A protection case of the cast's member with its handlers, files and history."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(cast)
