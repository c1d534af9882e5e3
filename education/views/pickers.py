"""Which branch or organization a hours or compliance page shows, from the query string."""

from django.http import Http404

from members.params import id_param
from members.permissions import get_organization_for_user

from ..selectors import rollup as rollup_selectors

PICKER_LIMIT = 50  # more branches than this: pick one from the rollup, not from a <select>


def chosen_branch(request):
    """(the branch named by ?branch= among those the user manages (404 outside), else the
    first one they manage, else None; the branches for the picker, empty when there are more
    than PICKER_LIMIT). One query, two when the branch named is past the picker's list: the
    page does not grow with the number of branches an organizer manages."""
    pk = id_param(request, "branch")
    branch, choices = rollup_selectors.picked_branch(request.user, pk, limit=PICKER_LIMIT)
    if pk is not None and branch is None:
        raise Http404
    return branch, choices if len(choices) <= PICKER_LIMIT else []


def rollup_org(request):
    pk = id_param(request, "org")
    if pk is not None:
        return get_organization_for_user(request.user, pk)
    roots = rollup_selectors.rollup_roots(request.user)
    if not roots:
        raise Http404
    return roots[0]
