"""How a page runs one service call for what was posted and tells the user the outcome,
shared by every app.

- `submit`: the form is on this page. A refusal is shown on the form (someone else's change
  in between as a conflict); success is flashed and the caller redirects.
- `run_service` / `run_service_for_form`: a POST-only action whose form sits on another
  page. The outcome is flashed, each message of a refusal on its own, and the caller
  redirects back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages

from .concurrency import ConcurrentChange
from .errors import DomainError
from .forms import add_service_error


@dataclass(frozen=True)
class Outcome:
    """What a service call gave back; true when it ran and succeeded."""

    done: bool
    value: Any = None

    def __bool__(self):
        return self.done


def flash_success(request, success, value):
    """Flash `success`: a text, a function of what the service returned, or None for none."""
    message = success(value) if callable(success) else success
    if message is not None:
        messages.success(request, message)


def submit(request, form, action: Callable[[], Any], success=None) -> Outcome:
    """For a posted, valid form: run `action`; a refusal goes on the form (on the field it
    names, a concurrent change as a conflict); on success flash `success` (see
    `flash_success`). Nothing is done for a GET or an invalid form."""
    if request.method != "POST" or not form.is_valid():
        return Outcome(False)
    try:
        value = action()
    except ConcurrentChange as e:
        form.show_conflict(e)
        return Outcome(False)
    except DomainError as e:
        add_service_error(form, e)
        return Outcome(False)
    flash_success(request, success, value)
    return Outcome(True, value)


def form_errors_text(form) -> str:
    """A bound form's errors as one message, for a page that flashes them instead of showing
    the form."""
    return " ".join(str(m) for ms in form.errors.values() for m in ms)


def flash_refusal(request, error: DomainError):
    """Each message of a service's refusal as an error message on the next page."""
    for message in error.messages:
        messages.error(request, message)


def run_service(request, action: Callable[[], Any], success) -> Outcome:
    """Run `action` (one service call): on success flash `success`; on a refusal flash its
    messages."""
    try:
        value = action()
    except DomainError as error:
        flash_refusal(request, error)
        return Outcome(False)
    flash_success(request, success, value)
    return Outcome(True, value)


def run_service_for_form(request, form, action: Callable[[], Any], success, *, invalid=None):
    """`run_service` for a valid posted `form`; an invalid one is told by flashing `invalid`,
    or the form's own errors when no `invalid` is given."""
    if form.is_valid():
        return run_service(request, action, success)
    messages.error(request, invalid if invalid is not None else form_errors_text(form))
    return Outcome(False)
