"""members.row_html: a list's row URLs, labels and number format, made once per list, as
reverse(), get_FOO_display() and {{ value }} give them one row at a time."""

import uuid
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize

from members.models import MemberStatus
from members.row_html import number_text, translated_labels, url_per_row

NUMBERS = [0, 7, 2026, 123456789, -3, Decimal("0.0"), Decimal("42.5"), Decimal("-1.25"), None]


def test_each_row_gets_the_url_reverse_gives_it():
    member_url = url_per_row("members:member_detail")
    for pk in (1, 42, 2147483646, 10**12):
        assert member_url(pk) == reverse("members:member_detail", args=[pk])
    case_url = url_per_row("members:case_detail", uuid.UUID(int=0))
    ref = uuid.uuid4()
    assert case_url(ref) == reverse("members:case_detail", args=[ref])


def test_labels_are_the_choices_in_the_active_language():
    with translation.override("zh-hans"):
        labels = translated_labels(MemberStatus)
        assert labels[MemberStatus.FULL] == str(MemberStatus.FULL.label)
    assert set(labels) == set(MemberStatus.values)
    assert all(isinstance(label, str) for label in labels.values())


@pytest.mark.parametrize("language", ["zh-hans", "en", "de"])
@pytest.mark.parametrize("grouping", [False, True])
def test_numbers_read_as_the_template_shows_them(language, grouping):
    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=grouping):
        number = number_text()
        assert [number(n) for n in NUMBERS] == [str(localize(n)) for n in NUMBERS]
