"""Django admin: every members model has a working changelist with search and filters."""

import pytest
from django.urls import reverse

from members.models import OrganizationKind

MODELS = ["organization", "member", "position", "transfer", "notification", "auditentry"]


@pytest.mark.parametrize("model", MODELS)
def test_changelist_search_works(login, cast, model):
    client = login("admin")
    url = reverse(f"admin:members_{model}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "张"}).status_code == 200


def test_member_admin_offers_only_branches_and_groups(login, cast):
    client = login("admin")
    page = client.get(reverse("admin:members_member_change", args=[cast.member.pk]))
    form = page.context["adminform"].form
    assert set(form.fields["branch"].queryset.values_list("kind", flat=True)) == {
        OrganizationKind.BRANCH
    }
    assert set(form.fields["group"].queryset.values_list("kind", flat=True)) == {
        OrganizationKind.GROUP
    }


@pytest.mark.parametrize("role", ["member", "secretary", "organizer"])
def test_admin_is_for_staff_only(login, role):
    response = login(role).get(reverse("admin:index"))
    assert response.status_code == 302


def test_organizations_and_members_cannot_be_deleted_in_admin(login, cast):
    client = login("admin")
    delete_org = reverse("admin:members_organization_delete", args=[cast.branch.pk])
    delete_member = reverse("admin:members_member_delete", args=[cast.member.pk])
    assert client.get(delete_org).status_code == 403
    assert client.get(delete_member).status_code == 403
