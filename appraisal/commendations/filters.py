"""The commendation list's filters (django-filter): organization subtree, year, title, status,
recipient kind and a free-text search. They only ever narrow commendations_visible_to."""

import operator
from typing import NamedTuple

import django_filters
from django import forms
from django.db import connections
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.compiled import Param, compiled_queryset
from members.filters import FilterForm, ListedModelChoiceField
from members.models import Organization, OrganizationKind
from members.params import FIRST_YEAR, LAST_YEAR, parse_id
from members.permissions import compiled_scope_q, scope_arguments
from members.widgets import FlatSelect, LightHiddenInput, LightNumberInput, LightTextInput

from .models import CommendationStatus, CommendationTitle
from .selectors import organization_choices

# Up to this many organizations in reach, the organization filter is a select of them all;
# above it, a name search: a select of a province's thousands of organizations (or of the
# first few hundred) helps no one on a phone, and reading them cost every view of the list.
MAX_LISTED_ORGANIZATIONS = 200
# A name search offers at most this many organizations to choose from.
MAX_NAME_MATCHES = 10
NAME_LENGTH = Organization._meta.get_field("name").max_length


class Listing(NamedTuple):
    """What the organization filter offers (read_listing): the organizations to list in its
    select (None: too many, a name search instead) and the selected one, if in reach."""

    listed: list | None
    chosen: Organization | None


def read_listing(user, selected_pk=None):
    """The organizations in reach, up to one more than are listed, and the selected one, in
    one query whose cost does not grow with the reach (the reach walked in path order, an
    index, and stopped there). The selected one is an Organization (the instance the ORM
    would give); the listed ones (id, label) pairs in path order: read as tuples, as a model
    instance each was most of the filter's time when hundreds were listed."""
    # The database the field's queryset reads (queryset_of builds it only when needed).
    db = Organization.objects.db
    compound = connections[db].features.supports_slicing_ordering_in_compound
    values = scope_arguments(user)
    if selected_pk:
        values["selected"] = selected_pk
    rows = list(_listed_organizations(compound=compound, with_selected=bool(selected_pk), **values))
    chosen = next((row for row in rows if row[-1]), None)
    if chosen is not None:
        chosen = Organization.from_db(db, _FIELDS, chosen[:-1])
    listed = {row[_PK]: row for row in rows}  # the selected one once
    if len(listed) > MAX_LISTED_ORGANIZATIONS:
        return Listing(None, chosen)
    by_path = operator.itemgetter(_PATH)
    return Listing(
        [
            (row[_PK], _indented(row[_DEPTH], row[_NAME]))
            for row in sorted(listed.values(), key=by_path)
        ],
        chosen,
    )


class OrganizationChoiceField(ListedModelChoiceField):
    def label_from_instance(self, obj):
        return _indented(obj.depth, obj.name)

    def show(self, listing):
        """A select of the listed organizations, or (too many) a hidden input beside the
        name search; the chosen one is the field's value without asking again."""
        self.chosen = listing.chosen
        if listing.listed is None:
            self.widget = LightHiddenInput()
        else:
            self.offer_labels(listing.listed)


def _indented(depth, name):
    # Indent by depth so the tree reads in a plain select (no query per option).
    return "\u3000" * max(depth - 1, 0) + name


# The columns of an Organization (attnames, in the model's order) read by
# _listed_organizations, then whether it is the selected one; where some are among them.
_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)
_PK, _PATH, _DEPTH, _NAME = (_FIELDS.index(name) for name in ("id", "path", "depth", "name"))


@compiled_queryset
def _listed_organizations(*, compound, with_selected, admin, n_paths):
    """The rows of `read_listing` (organizations of `organization_choices`): the first
    MAX + 1 in path order and the selected one. Compiled once per shape of scope."""
    reach = Organization.objects.filter(compiled_scope_q(admin=admin, n_paths=n_paths)).exclude(
        kind=OrganizationKind.GROUP
    )
    first = MAX_LISTED_ORGANIZATIONS + 1
    listed = reach.annotate(is_chosen=Value(0)).values_list(*_FIELDS, "is_chosen")
    if not with_selected:
        return listed.order_by("path")[:first]
    if compound:
        chosen = reach.filter(pk=Param("selected")).annotate(is_chosen=Value(1))
        return listed.order_by("path")[:first].union(
            chosen.values_list(*_FIELDS, "is_chosen"), all=True
        )
    # SQLite: the selected one first, then the first MAX + 1 of the rest
    return (
        reach.annotate(is_chosen=Case(When(pk=Param("selected"), then=Value(1)), default=Value(0)))
        .values_list(*_FIELDS, "is_chosen")
        .order_by("-is_chosen", "path")[: first + 1]
    )


def name_matches(user, text):
    """Up to MAX_NAME_MATCHES + 1 organizations in reach whose name contains `text`, as
    (pk, name, parent's name, exact): those named exactly so first, then in path order."""
    return (
        organization_choices(user)
        .filter(name__icontains=text)
        .annotate(
            exact=Case(When(name=text, then=Value(1)), default=Value(0)),
            # The parent's name where the user may see it (the top of a reach: none shown).
            parent_name=Subquery(
                organization_choices(user)
                .filter(
                    path=Substr(
                        OuterRef("path"), 1, Length(OuterRef("path")) - Organization.steplen
                    )
                )
                .values("name")[:1]
            ),
        )
        .order_by("-exact", "path")
        .values_list("pk", "name", "parent_name", "exact")[: MAX_NAME_MATCHES + 1]
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
    # The organization by name, where there are too many in reach for a select
    # (read_listing): resolved to `organization` in __init__.
    organization_name = django_filters.CharFilter(
        method="by_name",
        label=_("Organization"),
        widget=LightTextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, or part of it"),
                "autocomplete": "off",
                "enterkeyhint": "search",
            }
        ),
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
        self.organization_problem = None
        self.organization_matches = []
        self.more_matches = False
        data = self.data or {}
        # An id no row can have reads nothing: the field refuses it.
        listing = read_listing(user, parse_id(data.get("organization")))
        if listing.listed is None and "organization_name" in data:
            listing = self._find_organization(user, listing)
        if listing.listed is None and listing.chosen and not data.get("organization_name"):
            # The name search shows the organization chosen (by a link: its id only).
            self.data = self.data.copy()
            self.data["organization_name"] = listing.chosen.name
        organization = self.form.fields["organization"]
        # Built only when a value is looked up in it: one that read_listing did not read.
        organization.queryset_of = lambda: organization_choices(user)
        organization.show(listing)
        if listing.listed is not None:
            del self.form.fields["organization_name"]
        for field in self.form.fields.values():
            if not field.widget.is_hidden:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def _find_organization(self, user, listing):
        """The organization named in the name search, as `organization`: the chosen one
        while its name is unchanged, else the only one so named, else the only one whose
        name contains the text; every organization for an empty name. Several or none
        found: the filter is invalid, and several are offered (organization_matches). The
        listing, without its chosen one where another is chosen."""
        text = str(self.data.get("organization_name", "")).strip()
        if listing.chosen is not None and text == listing.chosen.name:
            return listing
        self.data = self.data.copy()
        self.data["organization"] = ""
        listing = listing._replace(chosen=None)
        if not text:
            return listing
        # A name no organization can have (a NUL, longer than the column) finds none.
        possible = "\x00" not in text and len(text) <= NAME_LENGTH
        matches = list(name_matches(user, text)) if possible else []
        exact = [m for m in matches if m[3] == 1]
        if len(exact) == 1 or len(matches) == 1:
            pk, name, _parent_name, _exact = (exact or matches)[0]
            self.data["organization"] = str(pk)
            self.data["organization_name"] = name  # shown in full
            return listing
        if not matches:
            self.organization_problem = _("No organization you manage has that name.")
            return listing
        self.organization_problem = _("Several organizations have that name: choose one.")
        for pk, name, parent_name, _rank in matches[:MAX_NAME_MATCHES]:
            query = self.data.copy()
            query.pop("organization_name", None)
            query["organization"] = str(pk)
            self.organization_matches.append(
                {"name": name, "parent_name": parent_name or "", "query": query.urlencode()}
            )
        self.more_matches = len(matches) > MAX_NAME_MATCHES
        return listing

    def is_valid(self):
        valid = super().is_valid()
        if self.organization_problem and "organization_name" in self.form.fields:
            if "organization_name" not in self.form.errors:
                self.form.add_error("organization_name", self.organization_problem)
            return False
        return valid

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

    def by_name(self, queryset, name, value):
        return queryset  # resolved to the organization filter in __init__

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
