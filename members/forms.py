"""Forms of the member pages (crispy layouts); no business logic — services decide."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors
from .concurrency import VersionedFormMixin
from .form_parts import DateInput
from .models import ACTIVE_STATUSES, Education, Member, MemberStatus, Organization
from .params import parse_id
from .roster_selectors import branch_groups, parent_names_by_path, transfer_targets

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{4,18}[0-9]$",
    _("Enter a phone number: digits, optionally starting with + and with spaces or hyphens."),
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # 10 000 rows of CSV or XLSX fit with room to spare


def add_service_error(form, error):
    """Show a DomainError / ValidationError from a service on the form it came from.

    Errors on fields the form shows go to those fields; the rest become form errors, so no
    message is ever lost.
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            form.add_error(target, errors)
    else:
        form.add_error(None, error)


class BranchChoiceField(forms.ModelChoiceField):
    """A branch shown with its parent organization ("第一党委 · 第一支部"), without a query
    per option: parent names come from one lookup keyed by path."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parent_names = None

    def label_from_instance(self, obj):
        if self._parent_names is None:
            self._parent_names = parent_names_by_path()
        parent = self._parent_names.get(obj.path[: -obj.steplen])
        return f"{parent} · {obj.name}" if parent else obj.name


_DETAIL_FIELDS = (
    "full_name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "phone",
    "email",
    "joined_on",
    "full_member_on",
    "status",
    "group",
)


class MemberForm(VersionedFormMixin, forms.ModelForm):
    """Edit a member's details. The branch changes only through a transfer."""

    class Meta:
        model = Member
        fields = _DETAIL_FIELDS
        widgets = {
            "birth_date": DateInput(),
            "joined_on": DateInput(),
            "full_member_on": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "full_member_on": _("Leave empty for a probationary member."),
            "group": _("Only the groups of the member's branch are offered."),
        }

    submit_label = _("Save changes")

    def __init__(self, *args, branch=None, cancel_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(phone_validator)
        self.fields["education"].choices = [("", _("Not recorded")), *Education.choices]
        status_choices = [c for c in MemberStatus.choices if c[0] != MemberStatus.TRANSFERRED_OUT]
        if self.instance.pk and self.instance.status == MemberStatus.TRANSFERRED_OUT:
            # Kept so that saving other fields does not fail; a transfer is how one leaves.
            status_choices = MemberStatus.choices
        self.fields["status"].choices = status_choices
        self.set_branch(branch if branch is not None else getattr(self.instance, "branch", None))
        self.helper = self._helper(cancel_url)

    def set_branch(self, branch):
        group = self.fields["group"]
        group.queryset = (
            branch_groups(branch) if branch is not None else Organization.objects.none()
        )
        group.empty_label = _("No group")

    def clean(self):
        data = super().clean()
        status, full_on = data.get("status"), data.get("full_member_on")
        if status == MemberStatus.PROBATIONARY and full_on:
            self.add_error(
                "full_member_on",
                _("A probationary member has no date of becoming a full member yet."),
            )
        return data

    def _detail_rows(self):
        return (
            Fieldset(
                _("Personal details"),
                Row(
                    Column("full_name", css_class="col-12 col-md-6"),
                    Column("gender", css_class="col-6 col-md-3"),
                    Column("birth_date", css_class="col-6 col-md-3"),
                ),
                Row(
                    Column("ethnicity", css_class="col-6 col-md-3"),
                    Column("education", css_class="col-6 col-md-3"),
                    Column("phone", css_class="col-12 col-md-6 col-lg-3"),
                    Column("email", css_class="col-12 col-md-6 col-lg-3"),
                ),
            ),
            Fieldset(
                _("Party membership"),
                Row(
                    Column("status", css_class="col-12 col-md-4"),
                    Column("joined_on", css_class="col-6 col-md-4"),
                    Column("full_member_on", css_class="col-6 col-md-4"),
                ),
                *self._membership_extra(),
            ),
        )

    def _membership_extra(self):
        return (Row(Column("group", css_class="col-12 col-md-6")),)

    def _organization_rows(self):
        return ()

    def _helper(self, cancel_url):
        helper = FormHelper()
        helper.layout = Layout(
            *self._organization_rows(),
            *self._detail_rows(),
            Submit("save", self.submit_label, css_class="btn-party"),
            HTML(
                f'<a class="btn btn-link" href="{cancel_url}">{_("Cancel")}</a>'
                if cancel_url
                else ""
            ),
        )
        helper.render_hidden_fields = True  # the version (members.concurrency)
        return helper


class MemberAddForm(MemberForm):
    """Add a member to one of the branches the user manages."""

    branch = BranchChoiceField(label=_("Branch"), queryset=None, empty_label=None)

    class Meta(MemberForm.Meta):
        fields = ("branch", *_DETAIL_FIELDS)

    submit_label = _("Add member")

    def __init__(self, *args, user, **kwargs):
        self.branches = selectors.branch_choices(user)
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = self.branches
        self.fields["status"].choices = [c for c in MemberStatus.choices if c[0] in ACTIVE_STATUSES]
        self.fields["branch"].widget.attrs.update(
            {
                # Refresh the group list for the chosen branch without a full page load.
                "hx-get": reverse("members:member_add"),
                "hx-target": "#div_id_group",
                "hx-select": "#div_id_group",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        self.set_branch(self._chosen_branch())

    def _chosen_branch(self):
        raw = self.data.get(self.add_prefix("branch")) if self.is_bound else None
        raw = raw or self.initial.get("branch")
        if hasattr(raw, "pk"):
            raw = raw.pk
        pk = parse_id(raw)
        if pk is not None:
            return self.branches.filter(pk=pk).first()
        return None

    def _membership_extra(self):
        return ()

    def _organization_rows(self):
        return (
            Fieldset(
                _("Branch and group"),
                Row(
                    Column("branch", css_class="col-12 col-md-6"),
                    Column("group", css_class="col-12 col-md-6"),
                ),
            ),
        )


class MemberTransferForm(forms.Form):
    """组织关系转接: to another branch anywhere in the system, or out of it."""

    DESTINATION_BRANCH = "branch"
    DESTINATION_OUT = "out"

    destination = forms.ChoiceField(
        label=_("Destination"),
        choices=[
            (DESTINATION_BRANCH, _("Another Party branch in this system")),
            (DESTINATION_OUT, _("Out of this system (an organization that does not use it)")),
        ],
        initial=DESTINATION_BRANCH,
        widget=forms.RadioSelect,
    )
    to_organization = BranchChoiceField(
        label=_("Receiving branch"),
        queryset=None,
        required=False,
        empty_label=_("Choose a branch"),
    )
    transferred_on = forms.DateField(label=_("Transferred on"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("For example the number of the introduction letter (介绍信)."),
    )

    def __init__(self, *args, member, cancel_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["to_organization"].queryset = transfer_targets(exclude=member.branch)
        self.fields["transferred_on"].initial = timezone.localdate
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "destination",
            "to_organization",
            Row(
                Column("transferred_on", css_class="col-12 col-md-4"),
                Column("note", css_class="col-12 col-md-8"),
            ),
            Submit("transfer", _("Record the transfer"), css_class="btn-party"),
            HTML(
                f'<a class="btn btn-link" href="{cancel_url}">{_("Cancel")}</a>'
                if cancel_url
                else ""
            ),
        )

    def clean(self):
        data = super().clean()
        if data.get("destination") == self.DESTINATION_BRANCH and not data.get("to_organization"):
            self.add_error("to_organization", _("Choose the branch that receives the member."))
        if data.get("destination") == self.DESTINATION_OUT:
            data["to_organization"] = None
        on = data.get("transferred_on")
        if on and on < self.member.joined_on:
            self.add_error(
                "transferred_on", _("The transfer cannot be before the member joined the Party.")
            )
        if on and on > timezone.localdate():
            self.add_error("transferred_on", _("The transfer date cannot be in the future."))
        return data


class RosterImportForm(forms.Form):
    branch = BranchChoiceField(label=_("Import into branch"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "CSV (UTF-8) or Excel .xlsx, at most 5 MB and 10 000 rows. Start from the template."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = selectors.branch_choices(user)
        self.helper = FormHelper()
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.layout = Layout(
            Row(
                Column("branch", css_class="col-12 col-md-6"),
                Column("file", css_class="col-12 col-md-6"),
            ),
            Submit("upload", _("Check the file"), css_class="btn-party"),
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            if name.endswith(".xls"):
                raise ValidationError(
                    _("Old Excel files (.xls) are not supported: save it as .xlsx or CSV UTF-8.")
                )
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                _("The file is too large (%(size)s KB); the limit is 5 MB.")
                % {"size": upload.size // 1024}
            )
        if upload.size == 0:
            raise ValidationError(_("The file is empty."))
        return upload
