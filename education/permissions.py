"""Who may do what in education/: built on members.permissions, the one place that decides.

- a session is managed by whoever manages the organization holding it (its branch's leaders
  for branch and group sessions, organizers above for everything in their subtree);
- a session is seen by its managers and by the members expected at it (who see only their
  own attendance);
- study hours of a member are read by the member and by whoever manages the member.
"""

import rules
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from members.permissions import (
    has_member_record,
    is_branch_leader,
    is_organizer,
    is_self,
    is_site_admin,
    managed_or_own,
    manages_member,
    manages_organization,
    organization_scope_q,
    scope_for,
)

from .models.makeups import Makeup
from .models.sessions import Attendance, Material, Session


def sessions_managed_by(user, queryset=None):
    qs = Session.objects.all() if queryset is None else queryset
    return qs.filter(organization_scope_q(user, prefix="organization__"))


def sessions_visible_to(user, queryset=None):
    """Sessions the user manages, plus those they are expected at."""
    qs = Session.objects.all() if queryset is None else queryset
    return managed_or_own(
        user,
        qs,
        prefix="organization__",
        own=lambda member_id: Q(
            Exists(Attendance.objects.filter(session=OuterRef("pk"), member_id=member_id))
        ),
    )


def get_session_for_user(user, pk, queryset=None):
    """The session if the user may see it (manages it or is expected at it), else 404."""
    return get_object_or_404(
        sessions_visible_to(user, queryset).select_related("organization"), pk=pk
    )


def get_material_for_user(user, pk):
    """A session's material if the user may see the session, else 404."""
    material = get_object_or_404(Material.objects.select_related("session"), pk=pk)
    # Raises 404 when the session itself is outside the user's reach.
    material.session = get_session_for_user(user, material.session_id)
    return material


def makeups_visible_to(user, queryset=None):
    """Make-up records the user may read: their own, and those of members they manage."""
    qs = Makeup.objects.all() if queryset is None else queryset
    return managed_or_own(
        user, qs, prefix="member__branch__", own=lambda member_id: Q(member_id=member_id)
    )


def get_makeup_for_user(user, pk, *, write=False):
    """A make-up record the user may read (with `write`: one they review), else 404."""
    qs = makeups_managed_by(user) if write else makeups_visible_to(user)
    return get_object_or_404(qs.select_related("member__branch"), pk=pk)


def can_manage_session(user, session):
    return session is not None and scope_for(user).manages_org(session.organization)


def makeups_managed_by(user, queryset=None):
    qs = Makeup.objects.all() if queryset is None else queryset
    return qs.filter(organization_scope_q(user, prefix="member__branch__"))


@rules.predicate
def manages_session(user, session):
    return can_manage_session(user, session)


@rules.predicate
def manages_material_session(user, material):
    return material is not None and can_manage_session(user, material.session)


@rules.predicate
def is_expected_at(user, session):
    scope = scope_for(user)
    if session is None or not scope.member_id:
        return False
    return Attendance.objects.filter(session=session, member_id=scope.member_id).exists()


@rules.predicate
def manages_makeup_member(user, makeup):
    return makeup is not None and scope_for(user).manages_member(makeup.member)


@rules.predicate
def owns_makeup(user, makeup):
    return makeup is not None and scope_for(user).member_id == makeup.member_id


@rules.predicate
def organizes_above(user, organization):
    """An organizer at a strict ancestor of the organization: the level that sets its bar.

    A branch (or committee) never sets its own required hours or meeting cadence; those
    come from the organization above it (or a site admin)."""
    if organization is None:
        return False
    path = organization.path
    return any(path.startswith(p) and path != p for p in scope_for(user).organizer_paths)


manages_something = is_site_admin | is_organizer | is_branch_leader

rules.add_perm("education.add_session", manages_something)
rules.add_perm("education.view_session", manages_session | is_expected_at)
rules.add_perm("education.change_session", manages_session)
rules.add_perm("education.view_session_attendance", manages_session)
rules.add_perm("education.delete_material", manages_material_session)
rules.add_perm("education.check_in", has_member_record)
rules.add_perm("education.add_makeup", has_member_record)
rules.add_perm("education.view_makeup", owns_makeup | manages_makeup_member)
rules.add_perm("education.review_makeup", manages_makeup_member)
rules.add_perm("education.review_makeups", manages_something)
rules.add_perm("education.view_member_hours", is_self | manages_member)
rules.add_perm("education.view_branch_hours", manages_organization)
rules.add_perm("education.view_hours_tables", manages_something)
rules.add_perm("education.view_rollup", is_site_admin | is_organizer)
rules.add_perm("education.view_compliance", manages_organization)
rules.add_perm("education.change_settings", manages_organization)  # reminders
rules.add_perm("education.change_requirements", is_site_admin | organizes_above)
rules.add_perm("education.use_calendar_feed", has_member_record)
