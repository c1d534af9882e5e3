"""Forms of education/: fields and layout only; rules live in services and permissions."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from members.concurrency import VersionedFormMixin
from members.form_parts import DateInput
from members.models import Organization, OrganizationKind
from members.permissions import organizations_managed_by, scope_for
from members.uploads import ACCEPT_ATTR, UPLOAD_HELP, validate_upload
from members.voiding import VoidForm

from .models.makeups import Makeup
from .models.org_settings import ComplianceCadence, HoursRequirement, ReminderSettings
from .models.sessions import SESSION_FIELDS, Material, Session, Topic

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class SessionForm(VersionedFormMixin, forms.ModelForm):
    """Plan or edit a session. `organization` is offered only when creating."""

    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Art. 22: education on lawful, rule-abiding internet use and online literacy "
            "is part of the regular study."
        ),
    )
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    branches = forms.ModelMultipleChoiceField(
        label=_("Branches it counts for"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_(
            "For a session held by a committee: the branches whose members are expected "
            "(all branches below it when none is chosen)."
        ),
    )

    class Meta:
        model = Session
        fields = ["organization", *SESSION_FIELDS]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "minutes": forms.Textarea(attrs={"rows": 4}),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}),
        }

    def __init__(self, *args, user, organization=None, with_minutes=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        holder = organization or (self.instance.organization if self.instance.pk else None)
        managed_branches = organizations_managed_by(
            user, Organization.objects.filter(kind=OrganizationKind.BRANCH)
        ).order_by("path")
        if holder is None:
            self.fields["organization"].queryset = organizations_managed_by(user).order_by("path")
            self.fields["branches"].queryset = managed_branches
            scope = scope_for(user)
            if not (scope.is_organizer or scope.is_admin):
                del self.fields["branches"]
        else:
            del self.fields["organization"]
            if holder.kind in (OrganizationKind.COMMITTEE, OrganizationKind.GENERAL_BRANCH):
                self.fields["branches"].queryset = Organization.objects.filter(
                    holder.subtree_q(), kind=OrganizationKind.BRANCH
                ).order_by("path")
                if self.instance.pk:
                    self.initial["branches"] = list(self.instance.branches.all())
            else:
                del self.fields["branches"]
        if not with_minutes:
            del self.fields["minutes"]


class ExpectedForm(forms.Form):
    members = forms.TypedMultipleChoiceField(
        label=_("Expected members"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(m.pk, m.full_name) for m in candidates]


class MaterialForm(forms.ModelForm):
    class Meta:
        model = Material
        fields = ["title", "file"]
        help_texts = {"file": UPLOAD_HELP}
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR})}

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f:
            validate_upload(f)
        return f


class MakeupForm(forms.ModelForm):
    # Kept as a MakeupEvidence (a PrivateFile) by the service, not a field of the make-up.
    evidence = forms.FileField(
        label=capfirst(_("evidence")),  # as the model field's label was
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}),
    )

    class Meta:
        model = Makeup
        fields = ["session", "description", "studied_on", "hours"]
        widgets = {
            "studied_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
        }

    def __init__(self, *args, missed_sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = missed_sessions
        self.fields["session"].required = False
        # Titles repeat ("Theme Party day" every month): the date tells them apart.
        self.fields["session"].label_from_instance = lambda s: (
            f"{timezone.localtime(s.starts_at):%Y-%m-%d} · {s.title}"
        )
        self.fields["studied_on"].initial = timezone.localdate()
        self.fields["evidence"].help_text = format_lazy(
            "{} {}", _("Notes, a certificate or a screenshot:"), UPLOAD_HELP
        )

    @property
    def evidence_lost(self):
        """A browser never sends a chosen file back: after an error it must be chosen again."""
        return self.is_bound and bool(self.files.get("evidence")) and bool(self.errors)

    def clean_evidence(self):
        f = self.cleaned_data.get("evidence")
        if f:
            validate_upload(f)
        return f

    def clean_hours(self):
        hours = self.cleaned_data.get("hours")
        if hours is not None and hours <= 0:
            raise forms.ValidationError(_("Enter the hours studied, more than 0."))
        return hours


class SessionVoidForm(VoidForm):
    """The reason for voiding a held session (members.voiding.VoidForm, in a session's words)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Why is the session voided?")
        self.fields["reason"].help_text = _(
            "Recorded twice, by mistake, or for the wrong branch: kept in the history."
        )


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class HoursRequirementForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = HoursRequirement
        fields = ["member_hours", "leader_hours"]


class CadenceForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = ComplianceCadence
        fields = [
            "general_meeting",
            "committee_meeting",
            "group_meeting",
            "party_lecture",
            "theme_day",
        ]


class ReminderSettingsForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = ["session_reminders", "session_lead_days", "hours_nudges", "meeting_digests"]
