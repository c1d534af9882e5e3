"""Who sets a branch's study bar (hours and meeting cadence): the organization above, never the
branch's own leaders, who keep their reminder settings; the settings forms refuse bad values."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from education.models import (
    ComplianceCadence,
    HoursRequirement,
    ReminderSettings,
)


def _year():
    return timezone.localdate().year


def _settings_url(org, year=None):
    return reverse("education:settings", args=[org.pk]) + f"?year={year or _year()}"


HOURS_ZERO = {"form": "hours", "hours-member_hours": "0", "hours-leader_hours": "0"}


CADENCE_NONE = {
    "form": "cadence",
    **{
        f"cadence-{k}": "none"
        for k in (
            "general_meeting",
            "committee_meeting",
            "group_meeting",
            "party_lecture",
            "theme_day",
        )
    },
}


@pytest.mark.parametrize("role", ["secretary", "committee_member"])
def test_branch_leader_cannot_lower_their_own_bar(login, cast, role):
    client = login(role)
    assert client.post(_settings_url(cast.branch), HOURS_ZERO).status_code == 403
    assert client.post(_settings_url(cast.branch), CADENCE_NONE).status_code == 403
    assert not HoursRequirement.objects.exists()
    assert not ComplianceCadence.objects.exists()


def test_branch_leader_keeps_the_reminders_form_and_sees_the_bar_read_only(login, cast):
    client = login("secretary")
    page = client.get(_settings_url(cast.branch)).content.decode()
    assert 'value="reminders"' in page
    assert 'value="hours"' not in page and 'value="cadence"' not in page
    assert 'data-testid="bar-set-above"' in page
    response = client.post(
        _settings_url(cast.branch),
        {
            "form": "reminders",
            "reminders-session_reminders": "on",
            "reminders-session_lead_days": "2",
        },
    )
    assert response.status_code == 302
    assert ReminderSettings.objects.get(organization=cast.branch).session_lead_days == 2


def test_organizer_above_sets_the_branch_bar(login, cast):
    client = login("organizer")
    page = client.get(_settings_url(cast.branch)).content.decode()
    assert 'value="hours"' in page and 'value="cadence"' in page
    response = client.post(
        _settings_url(cast.branch),
        {"form": "hours", "hours-member_hours": "40", "hours-leader_hours": "60"},
    )
    assert response.status_code == 302
    row = HoursRequirement.objects.get(organization=cast.branch, year=_year())
    assert row.member_hours == Decimal("40")
    assert client.post(_settings_url(cast.branch), CADENCE_NONE).status_code == 302
    assert ComplianceCadence.objects.get(organization=cast.branch).theme_day == "none"


def test_organizer_cannot_set_their_own_committees_bar_but_admin_can(login, cast):
    assert login("organizer").post(_settings_url(cast.c1), HOURS_ZERO).status_code == 403
    assert not HoursRequirement.objects.exists()
    assert login("admin").post(_settings_url(cast.c1), HOURS_ZERO).status_code == 302
    assert HoursRequirement.objects.filter(organization=cast.c1).exists()


def test_change_requirements_permission(cast):
    assert not cast.secretary.account.has_perm("education.change_requirements", cast.branch)
    assert cast.organizer.account.has_perm("education.change_requirements", cast.branch)
    assert not cast.organizer.account.has_perm("education.change_requirements", cast.c1)
    assert not cast.other_organizer.account.has_perm("education.change_requirements", cast.branch)


@pytest.mark.parametrize(
    "data",
    [
        {"form": "hours", "hours-member_hours": "-1", "hours-leader_hours": "56"},
        {"form": "hours", "hours-member_hours": "NaN", "hours-leader_hours": "56"},
        {"form": "reminders", "reminders-session_lead_days": "-3"},
    ],
)
def test_settings_forms_refuse_negative_values(login, cast, data):
    response = login("organizer").post(_settings_url(cast.branch), data)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not HoursRequirement.objects.exists() and not ReminderSettings.objects.exists()
