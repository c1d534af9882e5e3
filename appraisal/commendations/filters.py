"""The commendation list's filters (django-filter): organization subtree, year, title, status,
recipient kind and a free-text search. They only ever narrow commendations_visible_to."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Organization

from .models import CommendationStatus, CommendationTitle
from .selectors import organization_choices


class OrganizationChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indent by depth so the tree reads in a plain select (no query per option).
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class OrganizationFilter(django_filters.ModelChoiceFilter):
    field_class = OrganizationChoiceField


class CommendationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    organization = OrganizationFilter(
        queryset=Organization.objects.none(),
        method="in_subtree",
        label=_("Organization"),
        empty_label=_("All my organizations"),
    )
    year = django_filters.NumberFilter(field_name="awarded_on", lookup_expr="year", label=_("Year"))
    title = django_filters.ChoiceFilter(
        choices=CommendationTitle.choices,
        label=pgettext_lazy("commendation", "Title"),
        empty_label=_("All titles"),
    )
    status = django_filters.ChoiceFilter(
        choices=CommendationStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    recipient = django_filters.ChoiceFilter(
        choices=[("member", _("Members")), ("organization", _("Organizations"))],
        method="by_recipient",
        label=_("Recipient"),
        empty_label=_("Members and organizations"),
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.filters["organization"].queryset = organization_choices(request.user)
        for field in self.form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(member__full_name__icontains=value)
            | Q(organization__name__icontains=value)
            | Q(reason__icontains=value)
            | Q(title_detail__icontains=value)
        )

    def in_subtree(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(home_organization__path__startswith=value.path)

    def by_recipient(self, queryset, name, value):
        if value == "member":
            return queryset.filter(member__isnull=False)
        if value == "organization":
            return queryset.filter(organization__isnull=False)
        return queryset
