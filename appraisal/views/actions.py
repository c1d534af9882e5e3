"""How appraisal pages run one service call for a posted form and tell the user the outcome."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages

from members.concurrency import ConcurrentChange
from members.services import DomainError


@dataclass(frozen=True)
class Outcome:
    """What a service call gave back; true when it ran and succeeded."""

    done: bool
    value: Any = None

    def __bool__(self):
        return self.done


def show_errors(request, error: DomainError):
    """Each message of a refusal as an error message at the top of the next page."""
    for message in error.messages:
        messages.error(request, message)


def _flash(request, success, value):
    message = success(value) if callable(success) else success
    if message is not None:
        messages.success(request, message)


def act(request, action: Callable[[], Any], success) -> Outcome:
    """Run `action`; on success flash `success` (a text, or a function of what the action
    returned); on a refusal flash its messages."""
    try:
        value = action()
    except DomainError as e:
        show_errors(request, e)
        return Outcome(False)
    _flash(request, success, value)
    return Outcome(True, value)


def submit(request, form, action: Callable[[], Any], success=None) -> Outcome:
    """For a posted, valid form: run `action`; a refusal goes on the form (a concurrent change
    is shown as a conflict); on success flash `success` (as for `act`). Nothing is done for a
    GET or an invalid form."""
    if request.method != "POST" or not form.is_valid():
        return Outcome(False)
    try:
        value = action()
    except ConcurrentChange as e:
        form.show_conflict(e)
        return Outcome(False)
    except DomainError as e:
        form.add_error(None, e)
        return Outcome(False)
    _flash(request, success, value)
    return Outcome(True, value)
