"""Voiding a kept record: records with attendance, ballots or decisions are never deleted; one
entered or run in error is voided with a written reason, stays readable (marked voided, with
the reason) and stops counting. What every voidable record shares: its fields, the service
step that checks and marks it and the form; the POST-only page that runs a void service is
members.void_pages.void_view (its step on the detail page: templates/_void_form.html; the
mark: _void_banner.html on the record's page, _void_badge.html in lists).

Each app keeps its own `<thing>_void` service (it knows what the record counts for and whom
to tell); the service locks the row, calls `void_mark`, saves the fields it returns and
recomputes what the record counted for.
"""

from django import forms
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError
from .fields import actor_field

REASON_MAX_LENGTH = 500


class VoidReason(models.Model):
    """Why and when a record was voided. Alone only on a study session (who voided it is in
    its history and the audit log); every other voidable record is a Voidable."""

    void_reason = models.CharField(
        gettext_lazy("reason for voiding"), max_length=REASON_MAX_LENGTH, blank=True, default=""
    )
    voided_at = models.DateTimeField(gettext_lazy("voided at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_voided(self):
        return self.voided_at is not None


class Voidable(VoidReason):
    """The fields of a record that can be voided: why, when and by whom."""

    voided_by = actor_field(gettext_lazy("voided by"))

    class Meta:
        abstract = True


def voided_status_check(name):
    """The check a record whose `status` can say "voided" carries: then it has a reason and
    a time."""
    return models.CheckConstraint(
        condition=~Q(status="voided") | (~Q(void_reason="") & Q(voided_at__isnull=False)),
        name=name,
    )


def void_mark(record: VoidReason, *, reason: str, actor, already: str | None = None) -> list[str]:
    """Mark a locked row voided by `actor` for `reason`, for its history too (who, and the
    reason as the change reason); returns the fields to save (with who voided it when the
    record is a Voidable).

    Refuses an empty reason (on the form's `reason` field) and a record already voided
    (`already`: the message saying so)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": _("Say why it is voided.")})
    if record.voided_at is not None:
        raise DomainError(already or _("This record is already voided."))
    record.void_reason = reason[:REASON_MAX_LENGTH]
    record.voided_at = timezone.now()
    record._history_user = actor if actor is not None and actor.is_authenticated else None
    # simple_history keeps at most 100 characters of a change reason.
    record._change_reason = (_("Voided: %(reason)s") % {"reason": reason})[:100]
    if not isinstance(record, Voidable):
        return ["void_reason", "voided_at"]
    record.voided_by = record._history_user
    return ["void_reason", "voided_at", "voided_by"]


class VoidForm(forms.Form):
    """The reason asked for before a record is voided (required: no reason, no void)."""

    reason = forms.CharField(
        label=gettext_lazy("Why is it voided?"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Entered twice, by mistake, or for the wrong people: kept in the history."
        ),
    )
