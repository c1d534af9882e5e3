"""Helpers every protection-case write shares: the actor's name, storing evidence."""

from members.permissions import scope_for

from ...uploads import store_private_file
from ..models import CaseEvidence


def _member_name(user):
    scope = scope_for(user)  # usually loaded already by the permission check
    if scope.member_id:
        return scope.member_name
    return user.get_username()


def _store_evidence(*, case, uploaded, actor, note=""):
    return store_private_file(
        CaseEvidence(case=case, note=note), uploaded, actor=actor, error_field="files"
    )
