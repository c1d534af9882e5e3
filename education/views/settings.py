"""An organization's education settings: hours requirement, meeting cadence, reminders."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from members.page_actions import submit
from members.params import this_year, year_param
from members.permissions import (
    get_organization_for_user,
    has_perm,
    permission_required,
    require_perm,
)

from ..forms import CadenceForm, HoursRequirementForm, ReminderSettingsForm
from ..models.org_settings import Frequency
from ..models.sessions import SessionKind
from ..selectors import org_settings as org_settings_selectors
from ..services import org_settings as org_settings_services

# The required hours and the meeting cadence are the bar a branch is measured against: only
# the organization above sets them (education.change_requirements); a branch's leaders
# choose their own reminders only.
_REQUIREMENT_FORMS = ("hours", "cadence")


@permission_required("education.change_settings", get_organization_for_user)
def org_settings(request, org):
    year = year_param(request, default=this_year())
    can_set_bar = has_perm(request.user, "education.change_requirements", org)
    rows = org_settings_selectors.own_settings(org, year)
    forms_by_name = {
        name: form_class(instance=rows[name], prefix=name)
        for name, form_class in (
            ("hours", HoursRequirementForm),
            ("cadence", CadenceForm),
            ("reminders", ReminderSettingsForm),
        )
    }
    if request.method == "POST":
        name = request.POST.get("form")
        if name not in forms_by_name:
            raise Http404
        if name in _REQUIREMENT_FORMS:
            require_perm(request.user, "education.change_requirements", org)
        form = type(forms_by_name[name])(
            request.POST, instance=forms_by_name[name].instance, prefix=name
        )
        forms_by_name[name] = form
        if submit(
            request,
            form,
            lambda: org_settings_services.settings_save(
                instance=form.save(commit=False),
                actor=request.user,
                version=form.cleaned_data.get("version"),
                fields=list(form.Meta.fields),
            ),
            _("The settings are saved."),
        ):
            return redirect(reverse("education:settings", args=[org.pk]) + f"?year={year}")
    return render(
        request,
        "education/settings.html",
        {
            "org": org,
            "year": year,
            "forms": forms_by_name,
            "can_set_bar": can_set_bar,
            "effective": org_settings_selectors.hours_requirement(org, year),
            "cadence": [
                (SessionKind(k).label, Frequency(v).label)
                for k, v in org_settings_selectors.cadence_for(
                    org_settings_selectors.cadences_by_path([org.path], below=False), org.path
                ).items()
            ],
        },
    )
