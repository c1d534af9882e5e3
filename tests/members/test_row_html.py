"""members.row_html: a list's row URLs and labels, made once per list, as reverse() and
get_FOO_display() give them one row at a time."""

import uuid

from django.urls import reverse
from django.utils import translation

from members.models import MemberStatus
from members.row_html import translated_labels, url_per_row


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
