import pytest

from appraisal.models import Step
from tests.appraisal.cycles import move_to, open_cycle


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions read domain messages in English, whatever the zh_Hans catalog holds.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def cycle(cast):
    """The cast's branch's cycle, its ballot open."""
    return move_to(open_cycle(cast.branch), Step.BALLOT)
