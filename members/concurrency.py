"""Two people editing the same record: the second save is told, not overwritten.

One mechanism for every form that edits a record others can edit too (sessions, members,
appraisal cycles, commendations, protection cases, an organization's settings):

- the model inherits `Versioned`: a `version` integer that every save of an existing row
  raises by one (saves the conditional check below already raised are not raised twice);
- the form inherits `VersionedFormMixin`: a hidden `version` field carrying the version the
  user saw;
- the service calls `version_claim(instance, version)` inside its transaction, before it
  writes: one `UPDATE … SET version = version + 1 WHERE id = … AND version = <seen>`. No row
  updated means someone saved in between: `ConcurrentChange` is raised (a DomainError, so the
  transaction rolls back and nothing is overwritten). The UPDATE also takes the row lock, so
  of two saves racing from the same version exactly one wins, on any database;
- the view catches `ConcurrentChange` and calls `form.show_conflict(exc)`: the form is shown
  again with what the other person changed (field, new value, who), the fields the user did
  not touch now hold the new values, the version is the current one, and everything the user
  typed is kept; saving again applies the user's changes on top.

A form posted without a version (an older page, a script) is saved unchecked.
"""

from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.db import models
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DomainError
from .params import ascii_digits


class Versioned(models.Model):
    """Abstract base: a `version` column raised by one on every save of an existing row."""

    version = models.PositiveIntegerField(gettext_lazy("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding or self.pk is None:
            self.version = self.version or 1
        elif getattr(self, "_version_claimed", False):
            self._version_claimed = False  # version_claim raised it in the database already
        else:
            self.version = (self.version or 0) + 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "version" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "version"]
        super().save(*args, **kwargs)


class ConcurrentChange(DomainError):
    """Someone else saved the record after the user opened the form.

    changes: [(field name, label, new value as text)] of what they changed; `instance` is
    the record as it is now; `seen` the record as the user saw it (None when unknown).
    """

    def __init__(self, *, instance, seen, changes, changed_by=None):
        self.instance = instance
        self.seen = seen
        self.changes = changes
        self.changed_by = changed_by
        super().__init__(conflict_message(changes, changed_by))


def conflict_message(changes, changed_by=None) -> str:
    who = str(changed_by) if changed_by else _("Someone else")
    if changes:
        listed = "; ".join(
            _("%(field)s is now “%(value)s”") % {"field": label, "value": value}
            for _name, label, value in changes
        )
        return _(
            "%(who)s changed this record while you were editing it: %(changes)s. Your changes "
            "were not saved yet: check them below and save again."
        ) % {"who": who, "changes": listed}
    return _(
        "%(who)s changed this record while you were editing it. Your changes were not saved "
        "yet: check them below and save again."
    ) % {"who": who}


def version_claim(instance: Versioned, version, *, fields=None) -> None:
    """Raise the row's version if it is still `version` (the one the user saw), else raise
    ConcurrentChange listing what changed. Call inside the service's transaction, before
    writing; the row stays locked until the transaction ends. `version=None` (no version
    posted) claims nothing. `fields`: the field names the user edits (for the message;
    default: every editable concrete field)."""
    if version is None:
        return
    model = type(instance)
    claimed = model._default_manager.filter(pk=instance.pk, version=version).update(
        version=F("version") + 1
    )
    if claimed:
        instance.version = version + 1
        instance._version_claimed = True
        return
    current = model._default_manager.get(pk=instance.pk)
    raise _conflict(current, version, fields, submitted=instance)


def version_claim_new(model, *, lookup: dict, fields=None, submitted=None) -> None:
    """For a form that creates the row when it does not exist yet (an organization's
    settings): refuse when someone created it meanwhile (the unique key would refuse it too,
    with a 500 instead of a message)."""
    current = model._default_manager.filter(**lookup).first()
    if current is not None:
        raise _conflict(current, None, fields, submitted=submitted)


def _conflict(current, version, fields, *, submitted=None):
    names = fields or [
        f.name
        for f in type(current)._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != "version"
    ]
    seen, changed_by = _seen_state(current, version)
    # Without a record of what the user saw, list where the saved record differs from what
    # the user submitted.
    reference = seen if seen is not None else submitted
    changes = []
    if reference is not None:
        for name in names:
            field = type(current)._meta.get_field(name)
            if _value(field, reference) != _value(field, current):
                changes.append((name, str(field.verbose_name), display_value(field, current)))
    return ConcurrentChange(instance=current, seen=seen, changes=changes, changed_by=changed_by)


def _seen_state(current, version):
    """(the record as it was at `version`, who saved it last) from its history, if kept."""
    history = getattr(type(current), "history", None)
    if history is None or version is None:
        return None, None
    records = history.filter(id=current.pk).select_related("history_user")
    seen = records.filter(version=version).order_by("-history_date", "-history_id").first()
    latest = records.order_by("-history_date", "-history_id").first()
    changed_by = None
    if latest is not None and latest.history_user is not None:
        user = latest.history_user
        member = getattr(user, "member", None) if hasattr(user, "member") else None
        changed_by = member.full_name if member is not None else user.get_username()
    return (seen.instance if seen is not None else None), changed_by


def _value(field, obj):
    value = field.value_from_object(obj)
    if isinstance(value, list):
        return sorted(value, key=str)
    return value


def display_value(field, obj) -> str:
    """A field's value as a reader would write it (choice labels, local dates, yes/no)."""
    value = field.value_from_object(obj)
    if value in (None, "", []):
        return _("(empty)")
    if field.is_relation:
        return str(getattr(obj, field.name))
    choices = dict(field.flatchoices) if field.choices else None
    if isinstance(field, models.JSONField) and isinstance(value, list):
        labels = _json_choice_labels(field.model, field.name)
        return "、".join(str(labels.get(v, v)) for v in value)
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value)
    return str(value)


def _json_choice_labels(model, name):
    """Labels of a JSON list of choices (a session's topics) that a form offers."""
    labels = getattr(model, "VERSIONED_CHOICE_LABELS", {}).get(name)
    return dict(labels) if labels else {}


# --- forms --------------------------------------------------------------------------------


class _VersionField(forms.IntegerField):
    """The version the user saw: hidden, optional, and never a change of its own."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=0, **kwargs)

    def has_changed(self, initial, data):
        return False


class VersionedFormMixin:
    """A hidden `version` field with the version of the record the form edits (none on a
    form that creates one). Layouts listing their fields must render hidden fields too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None:  # editing, not creating
            self.fields["version"] = _VersionField(initial=instance.version)

    def show_conflict(self, error: ConcurrentChange):
        """Show the form again after a conflict: the message, the fields the user left alone
        holding the other person's new values, the current version, the user's input kept."""
        data = self.data.copy()
        current, seen = error.instance, error.seen
        data[self.add_prefix("version")] = str(current.version)
        for name, _label, _value_text in error.changes:
            if name not in self.fields or seen is None:
                continue
            field = type(current)._meta.get_field(name)
            mine = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if _comparable(mine) == _comparable(_value(field, seen)):
                self._set_data(data, name, field.value_from_object(current))
        self.data = data
        self._errors = None
        self.is_valid()
        self.add_error(None, error.messages)
        if getattr(self, "instance", None) is not None:
            self.instance.version = current.version

    def _set_data(self, data, name, value):
        key = self.add_prefix(name)
        form_field = self.fields[name]
        widget = form_field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
            return
        prepared = form_field.prepare_value(value)
        if isinstance(prepared, (list, tuple)):
            data.setlist(key, [str(v) for v in prepared])
            return
        if isinstance(value, datetime):
            value = timezone.localtime(value)
            prepared = form_field.prepare_value(value)
        formatted = widget.format_value(prepared)
        data[key] = "" if formatted is None else str(formatted)


def _comparable(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return sorted((_comparable(v) for v in value), key=str)
    if value == "":
        return None
    return value


def posted_version(request):
    """The `version` a plain (non-model) form posted, or None."""
    raw = request.POST.get("version", "")
    return int(raw) if ascii_digits(raw) else None
