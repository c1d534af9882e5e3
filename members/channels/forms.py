"""Forms of the channel pages; no business logic - members.channels.services decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChannelKind


class BranchChannelForm(forms.Form):
    webhook_url = forms.URLField(
        label=_("Webhook address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Copy it from the robot's settings in the group."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "If the robot signs requests (DingTalk “SEC…”, Feishu). Empty: keep the stored one."
        ),
    )
    is_enabled = forms.BooleanField(
        label=_("Send the branch's notices to this group"), required=False, initial=True
    )


class ChannelOrderForm(forms.Form):
    """The member's own channels: first and (optionally) second choice."""

    first = forms.ChoiceField(label=_("First try"), required=False)
    second = forms.ChoiceField(label=_("If that fails"), required=False)

    def __init__(self, *args, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Nothing (the inbox only)"))] + [
            (k, ChannelKind(k).label) for k in offered
        ]
        self.fields["first"].choices = choices
        self.fields["second"].choices = [("", _("Nothing more")), *choices[1:]]

    def clean(self):
        data = super().clean()
        first, second = data.get("first"), data.get("second")
        if second and not first:
            self.add_error("second", _("Choose the first channel first."))
        elif second and second == first:
            self.add_error("second", _("Choose a different channel, or nothing more."))
        return data

    def order(self) -> list[str]:
        return [c for c in (self.cleaned_data["first"], self.cleaned_data["second"]) if c]
