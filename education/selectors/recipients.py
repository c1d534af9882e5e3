"""Who gets a branch's monthly meetings digest."""

from members.models import ACTIVE_STATUSES, COMMITTEE_ROLES, Position, Role

from .org_settings import STEPLEN


def digest_recipients(branches):
    """Who gets a branch's monthly meetings digest: {branch_id: [member_id, ...]}.

    The current secretaries (and deputies); without one, the branch's other committee
    members; without a committee, the organizers of the nearest organization above that has
    any. Two queries whatever the number of branches."""
    branches = list(branches)
    rows = (
        Position.objects.current()
        .filter(
            organization_id__in=[b.pk for b in branches],
            role__in=COMMITTEE_ROLES,
            member__status__in=ACTIVE_STATUSES,
        )
        .order_by("member_id")
        .values_list("organization_id", "role", "member_id")
    )
    secretaries, committee = {}, {}
    for org_id, role, member_id in rows:
        committee.setdefault(org_id, []).append(member_id)
        if role in (Role.SECRETARY, Role.DEPUTY_SECRETARY):
            secretaries.setdefault(org_id, []).append(member_id)
    result = {}
    orphans = []
    for b in branches:
        if b.pk in secretaries:
            result[b.pk] = secretaries[b.pk]
        elif b.pk in committee:
            result[b.pk] = committee[b.pk]
        else:
            orphans.append(b)
    if orphans:
        ancestors = {b.path[:i] for b in orphans for i in range(STEPLEN, len(b.path), STEPLEN)}
        organizers = {}
        for path, member_id in (
            Position.objects.current()
            .filter(
                organization__path__in=ancestors,
                role=Role.ORGANIZER,
                member__status__in=ACTIVE_STATUSES,
            )
            .order_by("member_id")
            .values_list("organization__path", "member_id")
        ):
            organizers.setdefault(path, []).append(member_id)
        for b in orphans:
            for i in range(len(b.path) - STEPLEN, 0, -STEPLEN):
                if b.path[:i] in organizers:
                    result[b.pk] = organizers[b.path[:i]]
                    break
    return result
