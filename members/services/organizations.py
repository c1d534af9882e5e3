"""Writes on the organization tree and on positions: adding an organization, assigning a
position. Each refreshes the branch figures it changes."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from .. import figures
from ..errors import DomainError
from ..history import save_with_history
from ..models import COMMITTEE_ROLES, Member, Organization, OrganizationKind, Position

# --- organizations -----------------------------------------------------------------------


_ALLOWED_CHILDREN = {
    OrganizationKind.COMMITTEE: {
        OrganizationKind.COMMITTEE,
        OrganizationKind.GENERAL_BRANCH,
        OrganizationKind.BRANCH,
    },
    OrganizationKind.GENERAL_BRANCH: {OrganizationKind.BRANCH},
    OrganizationKind.BRANCH: {OrganizationKind.GROUP},
    OrganizationKind.GROUP: set(),
}


@transaction.atomic
def organization_create(*, parent: Organization | None, name: str, kind: str, **fields):
    """Add an organization under parent (a root when parent is None).

    The parent row is locked (here, and again by treebeard's add_child) so that two
    concurrent inserts cannot compute the same path.
    """
    create_kwargs = {"name": name, "kind": kind, **fields}
    if parent is None:
        return Organization.objects.add_root(create_kwargs)
    parent = Organization.objects.select_for_update().get(pk=parent.pk)
    if kind not in _ALLOWED_CHILDREN[parent.kind]:
        raise DomainError(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {
                "child": OrganizationKind(kind).label,
                "parent": OrganizationKind(parent.kind).label,
            }
        )
    organization = Organization.objects.add_child(parent, create_kwargs)
    if kind == OrganizationKind.BRANCH:
        figures.refresh_branches([organization.pk])  # a row for it (zeros), in every app
    return organization


@transaction.atomic
def position_assign(
    *, member: Member, organization: Organization, role: str, started_on: date, actor=None
) -> Position:
    position = Position(member=member, organization=organization, role=role, started_on=started_on)
    position.full_clean()
    save_with_history(position, actor)
    if role in COMMITTEE_ROLES and organization.kind == OrganizationKind.BRANCH:
        # A committee role raises the member's study-hours requirement (education figures).
        figures.refresh_branches([member.branch_id])
    return position
