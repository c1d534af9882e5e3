"""Forms of appraisal/: input and layout only; the services decide."""

from datetime import date, timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.concurrency import VersionedFormMixin
from members.form_parts import DateInput, InPageForm
from members.models import Member, Organization, OrganizationKind
from members.permissions import organization_scope_q
from members.row_html import html_format, html_rows

from .models.cycles import DEADLINE_FIELDS, AppraisalCycle, Grade
from .models.meetings import LifeMeeting
from .models.participation import SelfAssessment


class _Form(InPageForm, forms.Form):
    pass


def _default_deadlines(year):
    """A believable schedule: appraisals usually run at the start of the following year."""
    start = max(timezone.localdate(), date(year, 12, 1))
    return {
        "self_assessment_due": start + timedelta(days=14),
        "peer_review_due": start + timedelta(days=21),
        "ballot_opens_on": start + timedelta(days=24),
        "ballot_closes_on": start + timedelta(days=28),
        "rating_due": start + timedelta(days=35),
    }


class CycleOpenForm(_Form):
    branches = forms.ModelMultipleChoiceField(
        label=_("Branches"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("An organizer can open the cycles of many branches at once."),
    )
    year = forms.IntegerField(label=_("Year appraised"), min_value=2000, max_value=2100)
    self_assessment_due = forms.DateField(label=_("Self-assessments due"), widget=DateInput())
    peer_review_due = forms.DateField(label=_("Peer review due"), widget=DateInput())
    ballot_opens_on = forms.DateField(label=_("Ballot opens on"), widget=DateInput())
    ballot_closes_on = forms.DateField(label=_("Ballot closes on"), widget=DateInput())
    rating_due = forms.DateField(label=_("Rating due"), widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        year = timezone.localdate().year
        initial = {"year": year, **_default_deadlines(year), **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)
        branches = Organization.objects.filter(
            organization_scope_q(user), kind=OrganizationKind.BRANCH
        ).order_by("path")
        self.fields["branches"].queryset = branches
        if len(branches) == 1:
            self.fields["branches"].initial = [branches[0].pk]


class CycleEditForm(VersionedFormMixin, InPageForm, forms.ModelForm):
    class Meta:
        model = AppraisalCycle
        fields = [*DEADLINE_FIELDS, "peer_reviews_shown_to_reviewed"]
        widgets = {name: DateInput() for name in DEADLINE_FIELDS}


class MoveForm(_Form):
    reason = forms.CharField(
        label=_("Reason for going ahead (needed if the step is not complete)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class SelfAssessmentForm(InPageForm, forms.ModelForm):
    class Meta:
        model = SelfAssessment
        fields = list(SelfAssessment.SECTIONS)
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in SelfAssessment.SECTIONS}
        help_texts = {
            "study": _("What you studied this year and what you learned."),
            "duties": _("How you carried out your duties and your work."),
            "discipline": _("How you kept Party discipline and rules."),
            "improvements": _("What you will improve next year."),
        }


class ReturnForm(_Form):
    comment = forms.CharField(
        label=_("Why it is returned"), widget=forms.Textarea(attrs={"rows": 3})
    )


def _member_choice(members, label, *, required=True):
    return forms.ModelChoiceField(
        label=label,
        queryset=Member.objects.filter(pk__in=[m.pk for m in members]).order_by("full_name"),
        required=required,
    )


class TalkForm(_Form):
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, members, talkers_above=None, **kwargs):
        kwargs.setdefault("initial", {"held_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        talker = _member_choice(members, _("Who talked"))
        if talkers_above is not None:
            # Leaders of the committees above the branch talk with its secretary too.
            talker.queryset = Member.objects.filter(
                Q(pk__in=[m.pk for m in members]) | Q(pk__in=talkers_above.values("pk"))
            ).order_by("full_name")
        self.fields = {
            "talker": talker,
            "talked_with": _member_choice(members, _("With whom")),
            **self.fields,
        }


class PeerReviewForm(_Form):
    comment = forms.CharField(
        label=_("Your comment (signed with your name)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"reviewed": _member_choice(members, _("Fellow member")), **self.fields}


def _grade_field(member, *, required):
    choices = list(Grade.choices)
    if not required:
        choices = [("", _("(left blank)")), *choices]
    return forms.ChoiceField(
        label=member.full_name,
        choices=choices,
        widget=forms.RadioSelect,
        required=required,
        initial="" if not required else None,
    )


class BallotForm(forms.Form):
    """One grade for every appraised member; fields named m<member id>."""

    def __init__(self, *args, members, required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        for m in members:
            self.fields[f"m{m.pk}"] = _grade_field(m, required=required)

    def grades(self):
        return {m.pk: self.cleaned_data.get(f"m{m.pk}") or "" for m in self.members}

    def rows(self):
        return [(m, self[f"m{m.pk}"]) for m in self.members]


class PaperIssueForm(_Form):
    voters = forms.ModelMultipleChoiceField(
        label=_("Voters who receive a paper ballot"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voters"].queryset = Member.objects.filter(
            pk__in=[m.pk for m in members]
        ).order_by("full_name")


# One row's inputs on the rating page (the HTML its template wrote per row).
_RATING_INPUTS = (
    '<div class="row g-2 mt-1">\n'
    '      <div class="col-12 col-sm-4"><label class="form-label small mb-0" '
    'for="id_{grade_name}">{grade_label}</label><select name="{grade_name}" '
    'id="id_{grade_name}" class="form-select form-select-sm">{options}</select></div>\n'
    '      <div class="col-12 col-sm-8"><label class="form-label small mb-0" '
    'for="id_{reason_name}">{reason_label}</label><textarea name="{reason_name}" '
    'id="id_{reason_name}" rows="1" cols="40" class="form-control form-control-sm">{reason}'
    "</textarea></div>\n"
    "    </div>"
)


class RatingForm(forms.Form):
    """The committee's proposed grade and reason per appraised member."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_members = [r["member"] for r in rows]
        # The page writes each row's inputs from row["inputs"] (widget templates, then a
        # dozen template variables per row, cost more than the rest of the page), so the
        # fields only validate: one grade field and one reason field serve every row (a
        # field keeps no per-row state; the row's name does).
        grade_field = forms.ChoiceField(choices=[("", "—"), *Grade.choices], required=False)
        reason_field = forms.CharField(required=False)
        # The options of the grade select, written once per selected value rather than
        # looped over in every row; the rows through html_format (format_html checked each of
        # 6 arguments of 30 rows).
        choices = [("", "—"), *((value, str(label)) for value, label in Grade.choices)]
        selected_mark = mark_safe(" selected")
        options = {
            selected: html_rows(
                '<option value="{value}"{mark}>{label}</option>',
                (
                    {
                        "value": value,
                        "mark": selected_mark if value == selected else "",
                        "label": label,
                    }
                    for value, label in choices
                ),
            )
            for selected in (None, *(value for value, _label in choices))
        }
        grade_label = gettext("Grade")
        reason_label = gettext("Reason (needed for basically qualified or unqualified)")
        for r in rows:
            m, rating = r["member"], r["rating"]
            grade_name, reason_name = f"g{m.pk}", f"r{m.pk}"
            self.fields[grade_name], self.fields[reason_name] = grade_field, reason_field
            if self.is_bound:  # what the page shows: the posted values, else the saved ones
                grade, reason = self.data.get(grade_name), self.data.get(reason_name)
            else:
                grade, reason = (rating.grade, rating.reason) if rating else ("", "")
            r["inputs"] = html_format(
                _RATING_INPUTS,
                grade_name=grade_name,
                grade_label=grade_label,
                options=options.get(grade or "", options[None]),
                reason_name=reason_name,
                reason_label=reason_label,
                reason=reason or "",
            )

    def entries(self):
        return {
            m.pk: (self.cleaned_data.get(f"g{m.pk}") or "", self.cleaned_data.get(f"r{m.pk}"))
            for m in self.row_members
        }


class DecisionForm(_Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return for changes"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (needed when returning)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ObjectionForm(_Form):
    text = forms.CharField(label=_("Your objection"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "about": _member_choice(members, _("About (optional)"), required=False),
            **self.fields,
        }


class AnswerForm(_Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}))


class AmendForm(_Form):
    grade = forms.ChoiceField(label=_("Corrected grade"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2})
    )


class LifeMeetingForm(VersionedFormMixin, InPageForm, forms.ModelForm):
    class Meta:
        model = LifeMeeting
        fields = [
            "organization",
            "kind",
            "held_on",
            "title",
            "topics",
            "self_examination",
            "online_conduct",
            "minutes",
            "attendees",
        ]
        widgets = {
            "held_on": DateInput(),
            "topics": forms.Textarea(attrs={"rows": 3}),
            "minutes": forms.Textarea(attrs={"rows": 6}),
            "attendees": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "topics": _(
                "For example: self-examination against the regulations, including online "
                "conduct (Art. 27)."
            ),
        }

    def __init__(self, *args, organizations, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["attendees"].queryset = members


class RectificationForm(_Form):
    description = forms.CharField(
        label=_("What to rectify"), widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "description": self.fields["description"],
            "owner": _member_choice(members, _("Owner")),
            "due_on": self.fields["due_on"],
        }


class RectificationDoneForm(_Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))
