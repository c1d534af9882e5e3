"""The POST-only page that voids a kept record (members.voiding), shared by every app."""

from collections.abc import Callable

from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .page_actions import run_service_for_form
from .permissions import permission_required
from .voiding import VoidForm


def void_posted(request, void: Callable[[str], object], success: str) -> bool:
    """Run `void(reason)` for a POSTed VoidForm and tell the user the outcome as a message on
    the next page; a missing reason or the service's refusal is shown, nothing is voided."""
    form = VoidForm(request.POST)
    outcome = run_service_for_form(
        request,
        form,
        lambda: void(form.cleaned_data["reason"]),
        success,
        invalid=_("Say why it is voided."),
    )
    return bool(outcome)


def void_view(
    *, perm: str, fetch, service, field: str, success: str, back: str, lookup: str = "pk"
):
    """A POST-only page voiding one record: `fetch` (the app's get_<object>_for_user) finds it
    by the URL's `lookup` argument within the user's reach (404), `perm` decides (403), then
    `service(<field>=record, reason=…, actor=…)` runs with the posted reason; the user goes
    back to the record's page (the URL named `back`, by the same `lookup`), told the outcome."""

    @require_POST
    @permission_required(perm, fetch, lookup=lookup)
    def view(request, record):
        void_posted(
            request,
            lambda reason: service(**{field: record}, reason=reason, actor=request.user),
            success,
        )
        return redirect(back, **{lookup: getattr(record, lookup)})

    view.__name__ = service.__name__
    view.__doc__ = service.__doc__
    return view
