"""Importing a roster: every row validated before anything is saved, then all members
created at once (or none)."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..forms import phone_validator
from ..models import Education, Gender, Member, MemberStatus
from ..roster_selectors import branch_groups, existing_member_keys
from .format import (
    COLUMNS,
    DATE_FORMATS,
    EDUCATION_WORDS_ZH,
    GENDER_WORDS_ZH,
    STATUS_WORDS_ZH,
    _lang,
    _norm,
    _value_words,
)

# --- validating rows -----------------------------------------------------------------------


class _WordChoiceField(forms.CharField):
    def __init__(self, *, words, message, **kwargs):
        self.words = words
        self.message = message
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        code = self.words.get(_norm(value))
        if code is None:
            raise ValidationError(self.message)
        return code


class ImportRowForm(forms.Form):
    """One row, as text; cleaned_data holds the keyword arguments of member_create."""

    full_name = forms.CharField(max_length=60)
    gender = _WordChoiceField(words=None, message=gettext_lazy("Enter 男 or 女."))
    birth_date = forms.DateField(required=False, input_formats=DATE_FORMATS)
    ethnicity = forms.CharField(max_length=20, required=False)
    education = _WordChoiceField(
        words=None,
        required=False,
        message=gettext_lazy(
            "Unknown education; use 高中及以下, 大专, 本科, 硕士研究生 or 博士研究生."
        ),
    )
    phone = forms.CharField(max_length=20, required=False, validators=[phone_validator])
    email = forms.EmailField(required=False)
    joined_on = forms.DateField(input_formats=DATE_FORMATS)
    full_member_on = forms.DateField(required=False, input_formats=DATE_FORMATS)
    status = _WordChoiceField(
        words=None,
        required=False,
        message=gettext_lazy("Enter 正式党员 (full member) or 预备党员 (probationary member)."),
    )
    group = forms.CharField(required=False)

    def __init__(self, *args, groups, words, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for key in ("gender", "education", "status"):
            self.fields[key].words = words[key]
        for name in ("birth_date", "joined_on", "full_member_on"):
            self.fields[name].error_messages["invalid"] = _("Enter a date like 2010-07-01.")

    def check(self, data):
        """Validate another row with this same form: building a form per row would copy its
        eleven fields each time, the largest cost of checking a 10 000-row file."""
        self.data = data
        self._errors = None
        return self.is_valid()

    def clean_group(self):
        name = self.cleaned_data["group"].strip()
        if not name:
            return None
        group = self.groups.get(name)
        if group is None:
            raise ValidationError(_("The branch has no group named “%(name)s”.") % {"name": name})
        return group

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status and status not in (MemberStatus.FULL, MemberStatus.PROBATIONARY):
            raise ValidationError(_("Only current members can be imported (正式党员 or 预备党员)."))
        return status

    def clean(self):
        data = super().clean()
        joined, full_on = data.get("joined_on"), data.get("full_member_on")
        if not data.get("status") and "status" not in self.errors:
            data["status"] = MemberStatus.FULL if full_on else MemberStatus.PROBATIONARY
        if data.get("status") == MemberStatus.PROBATIONARY and full_on:
            self.add_error(
                "full_member_on",
                _("A probationary member has no date of becoming a full member yet."),
            )
        if joined and full_on and full_on < joined:
            self.add_error(
                "full_member_on", _("This date cannot be before the date of joining the Party.")
            )
        if joined and joined > timezone.localdate():
            self.add_error("joined_on", _("This date cannot be in the future."))
        if not data.get("ethnicity"):
            data.pop("ethnicity", None)  # the model's default applies
        return data


@dataclass
class ImportRow:
    number: int
    values: dict
    fields: dict | None = None
    errors: list = field(default_factory=list)  # [(column header, message)]

    @property
    def ok(self):
        return not self.errors


# Checked once per import rather than once per row (see validate_rows): the branch and group
# foreign keys (the group comes from the branch's own groups), the account (never imported),
# and the model's check constraint, which ImportRowForm.clean already enforces.
_ROW_CLEAN_EXCLUDE = ["account", "branch", "group"]


def validate_rows(*, branch, headers, rows):
    """Check every row against the branch; returns [ImportRow]. Three queries in all,
    whatever the number of rows."""
    groups = {g.name: g for g in branch_groups(branch)}
    words = {
        "gender": _value_words("gender", Gender, GENDER_WORDS_ZH),
        "status": _value_words("status", MemberStatus, STATUS_WORDS_ZH),
        "education": _value_words("education", Education, EDUCATION_WORDS_ZH),
    }
    existing = existing_member_keys(branch, {values.get("full_name", "") for _n, values in rows})
    labels = {c.key: headers.get(c.key) or (c.zh if _lang() == "zh" else c.en) for c in COLUMNS}
    seen = {}
    result = []
    form = ImportRowForm(data={}, groups=groups, words=words)
    for number, values in rows:
        row = ImportRow(number=number, values=values)
        if form.check(values):
            fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            fields["branch"] = branch
            member = Member(**fields)
            try:
                member.full_clean(
                    exclude=_ROW_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    label = labels.get(name, "—") if name != NON_FIELD_ERRORS else "—"
                    row.errors.extend((label, m) for m in messages)
            row.fields = fields
            name = fields["full_name"]
            for key in (
                (name, "phone", fields.get("phone")),
                (name, "birth", fields.get("birth_date")),
            ):
                if not key[2]:
                    continue
                if key in existing:
                    row.errors.append(
                        (labels["full_name"], _("This member is already on the branch's roster."))
                    )
                elif key in seen:
                    row.errors.append(
                        (labels["full_name"], _("Same member as row %(n)s.") % {"n": seen[key]})
                    )
                seen.setdefault(key, number)
        else:
            for name, messages in form.errors.items():
                label = labels.get(name, "—")
                row.errors.extend((label, m) for m in messages)
        result.append(row)
    return result


@transaction.atomic
def import_members(*, branch, rows, actor, batch_size=1000):
    """Create every row's member in one transaction (nothing when any one fails).

    rows: [ImportRow] that passed validate_rows. Writes in bulk (a few INSERTs per
    thousand rows) with a history entry per member naming the actor, as member_create
    would. Returns the number of members created.
    """
    services.member_create_many(
        branch=branch, rows=[row.fields for row in rows], actor=actor, batch_size=batch_size
    )
    services.audit_log(actor=actor, action="members.roster.import", obj=branch, rows=len(rows))
    return len(rows)
