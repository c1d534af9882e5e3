"""members.row_html: a list's row URLs, labels and number format, made once per list, as
reverse(), get_FOO_display() and intcomma give them one row at a time; rows written and
escaped as format_html_join and blocktranslate write them; numbers as {{ value }} shows them."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from members.models import MemberStatus
from members.row_html import (
    blocktranslated,
    html_format,
    html_rows,
    intcomma_per_row,
    number_text,
    translated_labels,
    url_per_row,
)

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


def test_rows_are_escaped_as_format_html_join_escapes_them():
    row = '<a href="{url}">{name}</a><span>{n}</span>{badge}{lazy}\n'
    rows = [
        {
            "url": "/x/?a=1&b=2",
            "name": '<b>"O\'Brien" & co</b>',
            "n": 1234,
            "badge": format_html("<i>{}</i>", "<safe>"),
            "lazy": gettext_lazy("Roster"),
        },
        {"url": "", "name": "", "n": None, "badge": "", "lazy": mark_safe("<br>")},
    ]
    with translation.override("zh-hans"):
        assert html_rows(row, rows, "\n") == format_html_join("\n", row, rows)
        assert html_format(row, **rows[0]) == format_html(row, **rows[0])
    assert isinstance(html_rows(row, rows), SafeString)


def test_a_translated_text_keeps_its_markup_and_escapes_its_values():
    text = "<b>%(name)s</b>"
    assert blocktranslated(text, name="<i>&</i>") == "<b>&lt;i&gt;&amp;&lt;/i&gt;</b>"
    assert blocktranslated(text, name=mark_safe("<i>")) == "<b><i></b>"
    assert isinstance(blocktranslated(text, name=""), SafeString)


def test_numbers_are_grouped_as_intcomma_groups_them():
    for language in ("en", "zh-hans"):
        with translation.override(language):
            intcomma_of = intcomma_per_row()
            for n in (0, 7, 999, 1000, 12345, 99634, 1234567, -4321):
                assert intcomma_of(n) == intcomma(n)


@pytest.mark.parametrize("language", ["zh-hans", "en", "de"])
@pytest.mark.parametrize("grouping", [False, True])
def test_numbers_read_as_the_template_shows_them(language, grouping):
    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=grouping):
        number = number_text()
        assert [number(n) for n in NUMBERS] == [str(localize(n)) for n in NUMBERS]
