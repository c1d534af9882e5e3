"""How a page hands a valid form to a service: one place for what a refused write shows."""

from django.contrib import messages

from members.concurrency import ConcurrentChange
from members.forms import add_service_error
from members.services import DomainError


def save_form(request, form, write, message):
    """Run `write()` (a service call) for a valid `form`. It went through: `message` is shown
    and what `write` returned is returned. Refused: None, and the form shows why (someone
    else's change in between: what they changed; a DomainError: on the field it names)."""
    try:
        result = write()
    except ConcurrentChange as exc:
        form.show_conflict(exc)
    except DomainError as exc:
        add_service_error(form, exc)
    else:
        messages.success(request, message)
        return result
    return None
