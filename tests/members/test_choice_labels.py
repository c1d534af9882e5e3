"""members.choice_labels: get_FOO_display() from a label table, as Django's would answer."""

from django.db.models import Model
from django.utils import translation

from members.models import Member, MemberStatus


def _django_display(instance, field_name):
    return Model._get_FIELD_display(instance, Member._meta.get_field(field_name))


def test_labels_are_djangos_in_each_language_and_unknown_values_show_as_they_are():
    member = Member(status=MemberStatus.PROBATIONARY, gender="female")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for field in ("status", "gender"):
                assert getattr(member, f"get_{field}_display")() == _django_display(member, field)
    with translation.override("en"):
        assert member.get_status_display() == "Probationary member"
    with translation.override("zh-hans"):  # a label made once is still translated per request
        assert member.get_status_display() == "预备党员"
    member.status = "no-such-status"
    assert member.get_status_display() == "no-such-status"
    member.status = ""
    assert member.get_status_display() == ""
