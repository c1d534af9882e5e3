import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions read domain messages in English, whatever the zh_Hans catalog holds.
    settings.LANGUAGE_CODE = "en"
