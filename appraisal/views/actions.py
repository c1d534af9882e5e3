"""How appraisal's POST-only actions run one service call and tell the user the outcome: each
message of a refusal flashed on its own (forms shown on their page use
`members.page_actions.submit`)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages

from members.page_actions import Outcome, flash_success
from members.services import DomainError


def show_errors(request, error: DomainError):
    """Each message of a refusal as an error message at the top of the next page."""
    for message in error.messages:
        messages.error(request, message)


def act(request, action: Callable[[], Any], success) -> Outcome:
    """Run `action`; on success flash `success` (a text, or a function of what the action
    returned); on a refusal flash its messages."""
    try:
        value = action()
    except DomainError as e:
        show_errors(request, e)
        return Outcome(False)
    flash_success(request, success, value)
    return Outcome(True, value)


def act_for_form(request, form, action: Callable[[], Any], success, *, invalid=None) -> Outcome:
    """`act` for a valid posted `form` whose page is elsewhere; an invalid one is told by
    flashing `invalid` (nothing when it is None)."""
    if form.is_valid():
        return act(request, action, success)
    if invalid is not None:
        messages.error(request, invalid)
    return Outcome(False)
