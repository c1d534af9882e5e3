"""The commendation list's filters (django-filter): organization subtree, year, title, status,
recipient kind and a free-text search. They only ever narrow commendations_visible_to."""

import operator

import django_filters
from django import forms
from django.db import connections
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.compiled import Param, compiled_queryset
from members.filters import FilterForm, ListedModelChoiceField
from members.models import Organization, OrganizationKind
from members.params import FIRST_YEAR, LAST_YEAR, MAX_ID
from members.permissions import compiled_scope_q, scope_arguments
from members.widgets import FlatSelect, LightNumberInput, LightTextInput

from .models import CommendationStatus, CommendationTitle
from .selectors import organization_choices

# Above this many organizations in reach, the select lists the committees and general branches
# (and the one chosen) rather than every branch: an organizer over a whole city would get
# thousands of options on every page view. Any organization in reach is still accepted.
MAX_LISTED_ORGANIZATIONS = 200


class OrganizationChoiceField(ListedModelChoiceField):
    def label_from_instance(self, obj):
        return _indented(obj.depth, obj.name)

    def list_bounded(self, user, selected_pk=None):
        """Offer every organization in reach when they are few; else the levels above
        branches and the selected one. One query at any size, whose cost does not grow with
        the reach: the first MAX + 1 of the upper levels and the first MAX + 1 of the rest,
        each walked in path order (an index) and stopped there. The selected organization,
        when read here, is the field's value without asking again.

        The rows are read as tuples and offered as (id, label): up to 600 of them are read
        to list 200, and a model instance for each was most of the filter's time. Only the
        selected one becomes an Organization (the same instance the ORM would give)."""
        # The database the field's queryset reads (queryset_of builds it only when needed).
        db = Organization.objects.db
        compound = connections[db].features.supports_slicing_ordering_in_compound
        values = scope_arguments(user)
        if selected_pk:
            values["selected"] = selected_pk
        rows = list(
            _bounded_organizations(compound=compound, with_selected=bool(selected_pk), **values)
        )
        chosen = next((row for row in rows if row[_PK] == selected_pk), None)
        if chosen is not None:
            self.chosen = Organization.from_db(db, _FIELDS, chosen[:-1])
            self.chosen.is_upper = chosen[-1]
        # The upper levels come per kind (and the selected one apart): their first MAX + 1
        # in path order, each once.
        by_path = operator.itemgetter(_PATH)
        tops = {row[_PK]: row for row in sorted((row for row in rows if row[-1]), key=by_path)}
        first = MAX_LISTED_ORGANIZATIONS + 1
        rows = [*list(tops.values())[:first], *(row for row in rows if not row[-1])]
        if len(rows) > MAX_LISTED_ORGANIZATIONS:
            rows = sorted((row for row in rows if row[-1]), key=by_path)
            rows = rows[:MAX_LISTED_ORGANIZATIONS]
        self.offer_labels(
            (row[_PK], _indented(row[_DEPTH], row[_NAME])) for row in sorted(rows, key=by_path)
        )


def _indented(depth, name):
    # Indent by depth so the tree reads in a plain select (no query per option).
    return "\u3000" * max(depth - 1, 0) + name


# The columns of an Organization (attnames, in the model's order) read by
# _bounded_organizations, then its is_upper; where the listed ones are among them.
_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)
_PK, _PATH, _DEPTH, _NAME = (_FIELDS.index(name) for name in ("id", "path", "depth", "name"))


@compiled_queryset
def _bounded_organizations(*, compound, with_selected, admin, n_paths):
    """The rows of `list_bounded` (the organizations of `organization_choices`), compiled
    once per shape of scope: building this union cost more than running it."""
    reach = Organization.objects.filter(compiled_scope_q(admin=admin, n_paths=n_paths)).exclude(
        kind=OrganizationKind.GROUP
    )
    upper = Q(kind__in=(OrganizationKind.COMMITTEE, OrganizationKind.GENERAL_BRANCH))
    if with_selected:
        upper |= Q(pk=Param("selected"))
    first = MAX_LISTED_ORGANIZATIONS + 1
    if compound:
        # Each upper kind walked apart on its (kind, path) index: walking the path index for
        # both kinds at once passed thousands of branches and groups at a million members.
        tops = [
            reach.filter(kind=kind)
            .annotate(is_upper=Value(1))
            .values_list(*_FIELDS, "is_upper")
            .order_by("path")[:first]
            for kind in (OrganizationKind.COMMITTEE, OrganizationKind.GENERAL_BRANCH)
        ]
        if with_selected:
            tops.append(
                reach.filter(pk=Param("selected"))
                .annotate(is_upper=Value(1))
                .values_list(*_FIELDS, "is_upper")
            )
        rest = (
            reach.exclude(upper)
            .annotate(is_upper=Value(0))
            .values_list(*_FIELDS, "is_upper")
            .order_by("path")
        )
        return tops[0].union(*tops[1:], rest[:first], all=True)
    # SQLite: the same rows from one sort of the reach
    return (
        reach.annotate(is_upper=Case(When(upper, then=Value(1)), default=Value(0)))
        .values_list(*_FIELDS, "is_upper")
        .order_by("-is_upper", "path")[:first]
    )


class OrganizationFilter(django_filters.ModelChoiceFilter):
    field_class = OrganizationChoiceField


class YearFilter(django_filters.NumberFilter):
    """A calendar year a record can carry: a whole number, or the filter is invalid."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", LightNumberInput)
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(*args, **kwargs)


class CommendationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), widget=LightTextInput)
    organization = OrganizationFilter(
        queryset=None,  # the user's: see __init__
        method="in_subtree",
        label=_("Organization"),
        empty_label=_("All my organizations"),
        widget=FlatSelect,
    )
    year = YearFilter(field_name="awarded_on", lookup_expr="year", label=_("Year"))
    title = django_filters.ChoiceFilter(
        choices=CommendationTitle.choices,
        label=pgettext_lazy("commendation", "Title"),
        empty_label=_("All titles"),
        widget=FlatSelect,
    )
    status = django_filters.ChoiceFilter(
        choices=CommendationStatus.choices,
        label=_("Status"),
        empty_label=_("All statuses"),
        widget=FlatSelect,
    )
    recipient = django_filters.ChoiceFilter(
        choices=[("member", _("Members")), ("organization", _("Organizations"))],
        method="by_recipient",
        label=_("Recipient"),
        empty_label=_("Members and organizations"),
        widget=FlatSelect,
    )

    class Meta:
        form = FilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user
        organization = self.form.fields["organization"]
        # Built only when a value is looked up in it: one that list_bounded did not read.
        organization.queryset_of = lambda: organization_choices(user)
        selected = str((self.data or {}).get("organization", ""))
        # An id no row can have (too long for the column) reads nothing: the field refuses it.
        selected_pk = int(selected) if selected.isdigit() and int(selected) <= MAX_ID else None
        organization.list_bounded(user, selected_pk)
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
