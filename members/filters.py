"""The roster's filters (django-filter): search, status, group, role, branch, subtree.

Every choice list is narrowed to what the user manages, so a crafted query string can
neither reach nor reveal an organization outside the user's scope: it fails validation,
and the view then shows nothing (see `RosterFilter.result`).
"""

import django_filters
from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import selectors
from .models import MemberStatus, OrganizationKind, Role
from .params import parse_id
from .roster_selectors import (
    holds_current_role_q,
    managed_branches_and_groups,
    managed_groups,
    managed_organizations,
)
from .widgets import LightHiddenInput, LightSelect, LightTextInput

STATUS_ALL = "all"


class ListedChoices(ModelChoiceIterator):
    """The choices of a list of rows already fetched (no query per render)."""

    def __init__(self, field, objects):
        # Not ModelChoiceIterator's: it reads the field's queryset, which the rows stand for.
        self.field, self.objects = field, objects

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.objects:
            yield self.choice(obj)

    def __len__(self):
        return len(self.objects) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.objects)


class LabelledChoices(ListedChoices):
    """The choices of (value, label) pairs made by the caller (rows read as tuples)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.objects


class ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    """A model choice whose select offers `listed` (rows of its queryset already read) when
    set, and whose `chosen` row (read from its queryset) is the value without asking again;
    any other value is validated against the queryset. Given `queryset_of`, the queryset is
    built by it when first read (building the roster's on every page cost ~0.5 ms)."""

    listed = None
    labelled = False
    chosen = None
    queryset_of = None

    def _get_queryset(self):
        if self._queryset is None and self.queryset_of is not None:
            self.queryset = self.queryset_of()
        return self._queryset

    queryset = property(_get_queryset, django_filters.fields.ModelChoiceField.queryset.fset)

    def _get_choices(self):
        if self.listed is None:
            return super()._get_choices()
        return (LabelledChoices if self.labelled else ListedChoices)(self, self.listed)

    choices = property(_get_choices, django_filters.fields.ModelChoiceField.choices.fset)

    def offer(self, rows):
        """Offer these rows (those of the queryset, in its order) in the select."""
        self.listed, self.labelled = rows, False
        self.widget.choices = self.choices

    def offer_labels(self, choices):
        """Offer these (id, label) pairs (of rows of the queryset, in its order) in the
        select: for rows read without a model instance each."""
        self.listed, self.labelled = list(choices), True
        self.widget.choices = self.choices

    def to_python(self, value):
        if self.chosen is not None and str(value) == str(self.chosen.pk):
            return self.chosen
        return super().to_python(value)


class FilterForm(forms.Form):
    """The form of a FilterSet (Meta.form), which takes its fields as they are: django-filter
    makes the fields, and the form class, anew for each filterset from its own copy of the
    filters, so Form's deep copy of them (every choice list and lazy label, a queryset
    clone) copied fields that nothing else holds."""

    def __init__(self, *args, **kwargs):
        fields = self.base_fields
        self.base_fields = {}  # nothing for Form.__init__ to copy
        try:
            super().__init__(*args, **kwargs)
        finally:
            del self.base_fields
        self.fields = dict(fields)


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField


def _chosen(branches, pk):
    """The branch with id `pk` among `branches` (a list read already, or a queryset)."""
    if pk is None:
        return None
    if isinstance(branches, list):
        return next((b for b in branches if b.pk == pk), None)
    return branches.filter(pk=pk).first()


class RosterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=LightTextInput(
            attrs={"type": "search", "placeholder": _("Name or phone"), "autocomplete": "off"}
        ),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        empty_label=_("Current members"),
        choices=[(STATUS_ALL, _("All, including former members")), *MemberStatus.choices],
        method="filter_status",
        widget=LightSelect,
    )
    branch = ListedModelChoiceFilter(
        label=_("Branch"),
        queryset=None,
        empty_label=_("All branches I manage"),
        method="filter_subtree",
        widget=LightSelect,
    )
    group = ListedModelChoiceFilter(
        label=pgettext_lazy("party group", "Group"),
        queryset=None,
        empty_label=_("All groups"),
        field_name="group",
        widget=LightSelect,
    )
    role = django_filters.ChoiceFilter(
        label=_("Position"),
        empty_label=_("Any position"),
        choices=Role.choices,
        method="filter_role",
        widget=LightSelect,
    )
    # Set by links from the organization tree: a committee's or group's whole subtree.
    org = ListedModelChoiceFilter(queryset=None, method="filter_subtree", widget=LightHiddenInput)

    def __init__(self, data=None, *args, user, offer_choices=True, **kwargs):
        """`offer_choices`: the form is rendered (its selects read their options once)."""
        self.user = user
        super().__init__(data, *args, **kwargs)
        # The model choices' querysets are built only when a value is looked up in them
        # (ListedModelChoiceField.queryset_of): the filters and the form are built without.
        form = self.form
        form.fields["branch"].queryset_of = lambda: selectors.branch_choices(user)
        form.fields["org"].queryset_of = lambda: managed_organizations(user)
        branch_pk = parse_id((self.data or {}).get("branch"))
        if offer_choices:
            # The select's branches and the chosen one's groups, read in one query (compiled):
            # the chosen one is among the branches.
            offered, groups = managed_branches_and_groups(user, branch_pk)
            form.fields["branch"].offer(offered)
            branch = _chosen(offered, branch_pk)
        else:  # nothing rendered (an export): only the chosen branch is read
            branch = _chosen(selectors.branch_choices(user), branch_pk)
        self.chosen_branch = branch
        form.fields["branch"].chosen = branch  # read once: validation does not ask again
        # Groups are offered once a branch is chosen: an organizer may reach thousands.
        if branch is not None:
            form.fields["group"].queryset_of = lambda: managed_groups(user, branch)
            if offer_choices:
                form.fields["group"].offer(groups)
        elif offer_choices:
            form.fields["group"].offer([])  # none (the select is disabled)
        if branch is None:
            form.fields["group"].help_text = _("Choose a branch first.")
            form.fields["group"].disabled = True
        # Bootstrap classes on the widgets themselves: the page renders the fields with a
        # small template of its own (templates/members/_roster_filter.html) rather than
        # through crispy-forms, which cost a third of the page's time.
        for field in form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.narrowed = any((self.data or {}).get(k) for k in ("status", "role", "branch", "group"))

    class Meta:
        fields = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(full_name__icontains=value) | Q(phone__icontains=value))

    def filter_status(self, queryset, name, value):
        if value == STATUS_ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_role(self, queryset, name, value):
        return queryset.filter(holds_current_role_q(value))

    def filter_subtree(self, queryset, name, value):
        if value.kind == OrganizationKind.GROUP:
            # Members belong to branches; a group is reached through their group field.
            return queryset.filter(group=value)
        return queryset.filter(branch__path__startswith=value.path)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.active()
        return queryset

    @property
    def result(self):
        """The filtered queryset; empty when a filter value is invalid (e.g. out of scope)."""
        return self.qs if self.is_valid() else self.queryset.none()

    @property
    def scope_object(self):
        """The organization the filtered roster is about (for the audit log), or None."""
        if not self.is_bound or not self.form.is_valid():
            return None
        return self.form.cleaned_data.get("branch") or self.form.cleaned_data.get("org")
