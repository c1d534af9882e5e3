"""Forms of the commendation pages (crispy layouts); no business logic — services decide."""

from crispy_forms.layout import Field, Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.form_parts import DateInput, InPageForm
from members.protection.forms import MultipleFileField

from .models import Commendation

__all__ = ["CommendationProposeForm", "DocumentAddForm", "RejectForm"]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.branch.name}"


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class CommendationProposeForm(InPageForm, forms.ModelForm):
    recipient_kind = forms.ChoiceField(
        label=_("Who is commended"),
        choices=[("member", _("A member")), ("organization", _("An organization (collective)"))],
        widget=forms.RadioSelect,
        initial="member",
    )
    member = MemberChoiceField(queryset=None, required=False, label=_("Member"))
    organization = OrganizationChoiceField(
        queryset=None, required=False, label=_("Organization (collective)")
    )
    awarding_organization = OrganizationChoiceField(
        queryset=None,
        label=_("Awarding organization"),
        help_text=Commendation._meta.get_field("awarding_organization").help_text,
    )
    documents = MultipleFileField(label=_("Supporting documents"))

    class Meta:
        model = Commendation
        fields = ["title", "title_detail", "awarding_organization", "reason", "awarded_on"]
        widgets = {"awarded_on": DateInput(), "reason": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, members, organizations, awarding, **kwargs):
        kwargs.setdefault("initial", {"awarded_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["organization"].queryset = organizations
        self.fields["awarding_organization"].queryset = awarding
        self.helper.layout = Layout(
            Fieldset(_("Recipient"), "recipient_kind", "member", "organization"),
            Fieldset(
                _("Commendation"),
                "title",
                "title_detail",
                "awarding_organization",
                "reason",
                "awarded_on",
                Field("documents"),
            ),
            Submit("submit", _("Propose"), css_class="btn-party"),
        )

    def clean(self):
        data = super().clean()
        kind = data.get("recipient_kind")
        if kind == "member":
            data["organization"] = None
            if not data.get("member"):
                self.add_error("member", _("Choose the member."))
        elif kind == "organization":
            data["member"] = None
            if not data.get("organization"):
                self.add_error("organization", _("Choose the organization."))
        return data

    def _post_clean(self):
        # The service builds and validates the model (its recipient comes from two fields).
        pass


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea)


class DocumentAddForm(forms.Form):
    documents = MultipleFileField(label=_("Add supporting documents"), required=True)
