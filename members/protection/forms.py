"""Forms of the protection-case pages (crispy layouts); no business logic — services decide."""

from crispy_forms.layout import Field, Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..form_parts import DateInput, InPageForm
from ..uploads import ACCEPT_ATTR, UPLOAD_HELP, validate_upload
from ..widgets import LightSelect
from .models import CaseAction, CaseKind, CaseStatus, Clarification, ProtectionCase


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern), each checked on its own."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", UPLOAD_HELP)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(d, initial) for d in data if d]
        else:
            files = [single(data, initial)] if data else []
        for f in files:
            validate_upload(f)
        return files


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.branch.name}"


class CaseOpenForm(InPageForm, forms.ModelForm):
    """Opening a case; `on_behalf_of` is shown only to those who may open for others."""

    on_behalf_of = MemberChoiceField(
        queryset=None,
        required=False,
        label=_("On behalf of"),
        help_text=_(
            "Leave empty to open a case for yourself. If you open a case for another member, "
            "you will not be able to read it afterwards unless you are assigned to handle it."
        ),
    )
    files = MultipleFileField(label=_("Evidence files"))

    class Meta:
        model = ProtectionCase
        fields = [
            "kind",
            "description",
            "place",
            "occurred_on",
            "occurred_note",
            "evidence_text",
            "evidence_links",
            "help_requested",
        ]
        widgets = {
            "occurred_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "evidence_text": forms.Textarea(attrs={"rows": 3}),
            "evidence_links": forms.Textarea(attrs={"rows": 2}),
            "help_requested": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, behalf_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = CaseKind.choices
        self.fields["kind"].label = pgettext_lazy("protection case", "Case type")
        if behalf_queryset is None:
            del self.fields["on_behalf_of"]
        else:
            self.fields["on_behalf_of"].queryset = behalf_queryset
        fields = ["kind", "description", "place", "occurred_on", "occurred_note"]
        if "on_behalf_of" in self.fields:
            fields.insert(0, "on_behalf_of")
        self.helper.layout = Layout(
            Fieldset(_("What happened"), *fields),
            Fieldset(
                _("Evidence"),
                "evidence_text",
                "evidence_links",
                Field("files"),
            ),
            Fieldset(_("Help"), "help_requested"),
            Submit("submit", _("Open the case"), css_class="btn-party"),
        )

    def clean_occurred_on(self):
        value = self.cleaned_data["occurred_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class EvidenceAddForm(forms.Form):
    files = MultipleFileField(label=_("Add evidence files"), required=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("accept", _("Accept")),
            ("decline", _("Decline")),
            ("start", _("Start handling")),
            ("resolve", _("Mark resolved")),
            ("close", pgettext_lazy("protection case action", "Close")),
            ("reopen", _("Reopen")),
        ]
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea)


class CaseActionForm(InPageForm, forms.ModelForm):
    class Meta:
        model = CaseAction
        fields = ["kind", "acted_on", "description", "outcome", "follow_up_due", "follow_up_note"]
        widgets = {
            "acted_on": DateInput(),
            "follow_up_due": DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"acted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            "kind",
            "acted_on",
            "description",
            "outcome",
            "follow_up_due",
            "follow_up_note",
            Submit("submit", _("Add to the timeline"), css_class="btn-party"),
        )


class AssignForm(forms.Form):
    handler = MemberChoiceField(queryset=None, label=_("Handler"))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = candidates


class ClarificationForm(InPageForm, forms.ModelForm):
    class Meta:
        model = Clarification
        fields = [
            "text",
            "issued_on",
            "published_where",
            "published_to",
            "approving_organization",
            "approval_reference",
        ]
        widgets = {"issued_on": DateInput(), "text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approving_organization"].queryset = organizations
        self.helper.layout = Layout(
            *self.Meta.fields,
            Submit("submit", _("Record the clarification"), css_class="btn-party"),
        )


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *CaseStatus.choices],
        # Written in Python: no template per option (the list renders it on every view).
        widget=LightSelect(attrs={"class": "form-select"}),
    )
