"""The rollup pages' rows written in Python (education/templatetags/hours_rows.py and
compliance_rollup.py) are the markup the template loops wrote, byte for byte: the loops are kept
here as the reference and both are rendered for the same rows, in both languages, with names
that need escaping and the edge values (no average, an average of 0.0, one branch, several
kinds missing in a month)."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from education.models.sessions import REGULAR_KINDS, SessionKind
from education.models.summaries import OrganizationStudyFigures
from education.selectors.regular_meetings import compliance_grid
from education.selectors.rollup import _with_figures
from education.templatetags.compliance_rollup import (
    compliance_children_rows,
    compliance_grid_headers,
    compliance_grid_rows,
)
from education.templatetags.hours_rows import hours_rollup_rows
from members.models import Organization, OrganizationKind

HOURS_LOOP = """{% load i18n %}{% for c in page %}
  <tr class="{% if c.n_behind %}shortfall{% endif %}" data-org="{{ c.pk }}">
    <td>{% if c.is_branch %}<a href="{% url 'education:hours_branch' %}?branch={{ c.pk }}&amp;year={{ year }}">{{ c.name }}</a>{% else %}<a href="?org={{ c.pk }}&amp;year={{ year }}">{{ c.name }}</a> <span class="small text-muted">{% blocktranslate count n=c.n_branches %}{{ n }} branch{% plural %}{{ n }} branches{% endblocktranslate %}</span>{% endif %}</td>
    <td class="text-end">{{ c.n_members }}</td>
    <td class="text-end">{{ c.average|default:"—" }}</td>
    <td class="text-end">{{ c.n_met }}</td>
    <td class="text-end">{{ c.n_behind }}</td>
  </tr>{% endfor %}"""  # noqa: E501

CHILDREN_LOOP = """{% for c in below %}<tr data-org="{{ c.pk }}">
    <td><a href="?org={{ c.pk }}&amp;year={{ year }}">{{ c.name }}</a></td>
    <td class="text-end">{{ c.figures.branches }}</td>
    <td class="text-end">{% if c.figures.branches_missing %}<span class="text-danger">{{ c.figures.branches_missing }}</span>{% else %}0{% endif %}</td>
    <td class="text-end">{{ c.figures.missing }}</td>
  </tr>{% endfor %}"""  # noqa: E501

HEADERS_LOOP = """{% load i18n %}{% for kind, label in kinds %}<th scope="col" class="small"><a href="?org={{ org.pk }}&amp;year={{ year }}&amp;sort={{ kind }}">{{ label }}</a>{% if sort == kind %} ▼{% endif %}</th>{% endfor %}
    {% for m in months %}<th scope="col" class="small">{% blocktranslate %}M{{ m }}{% endblocktranslate %}</th>{% endfor %}"""  # noqa: E501

GRID_LOOP = """{% for bc in page %}
  <tr data-branch="{{ bc.branch.pk }}">
    <th scope="row" class="text-start fw-normal"><a href="{% url 'education:compliance' %}?branch={{ bc.branch.pk }}&amp;year={{ year }}">{{ bc.branch.name }}</a></th>
    <td>{% if bc.missing_total %}<strong class="text-danger">{{ bc.missing_total }}</strong>{% else %}0{% endif %}</td>
    {% for kind, n in bc.missing.items %}<td>{% if n %}<span class="text-danger">{{ n }}</span>{% else %}0{% endif %}</td>{% endfor %}
    {% for cell in bc.month_cells %}<td class="small {% if cell.missing %}heat-missing{% if cell.missing|length > 1 %} heat-many{% endif %}{% elif cell.due %}heat-due{% else %}heat-ok{% endif %}" title="{{ cell.missing_text }}">{% if cell.missing %}✗{{ cell.missing|length }}<span class="visually-hidden">{{ cell.missing_text }}</span>{% elif cell.due %}…{% endif %}</td>{% endfor %}
  </tr>{% endfor %}"""  # noqa: E501

NAME = '<b>"A & B\'s"</b> 支部'

LANGUAGES = pytest.mark.parametrize("language", ["zh-hans", "en"])


def _loop(source, **context):
    return Template(source).render(Context(context))


def _child(pk, kind, *, members, hours, behind=0, met=0, branches=0, missing=0, b_missing=0):
    org = Organization(pk=pk, name=f"{NAME} {pk}", kind=kind, path=f"0001{pk:04d}", depth=2)
    figures = OrganizationStudyFigures(
        members=members,
        hours=Decimal(hours),
        behind=behind,
        met=met,
        branches=branches,
        missing=missing,
        branches_missing=b_missing,
    )
    return _with_figures(org, figures)  # as rollup_children gives them


def _children():
    return [
        _child(7, OrganizationKind.BRANCH, members=3, hours="10.0", behind=2, met=1),
        _child(8, OrganizationKind.BRANCH, members=0, hours="0.0"),  # no average
        _child(9, OrganizationKind.BRANCH, members=4, hours="0.0"),  # an average of 0.0
        _child(10, OrganizationKind.COMMITTEE, members=1234, hours="98765.4", branches=1),
        _child(11, OrganizationKind.GENERAL_BRANCH, members=22, hours="33.3", branches=40),
        _child(12, OrganizationKind.COMMITTEE, members=5, hours="1.0", missing=3, b_missing=2),
    ]


@LANGUAGES
def test_hours_rows_are_the_template_loops(language):
    children = _children()
    with translation.override(language):
        expected = _loop(HOURS_LOOP, page=children, year=2025)
        assert str(hours_rollup_rows(children, 2025)) == expected
    assert "&lt;b&gt;&quot;A &amp; B&#x27;s&quot;&lt;/b&gt;" in expected
    assert ">—<" in expected


@LANGUAGES
def test_compliance_children_rows_are_the_template_loop(language):
    children = _children()
    with translation.override(language):
        expected = _loop(CHILDREN_LOOP, below=children, year=2025)
        assert str(compliance_children_rows(children, 2025)) == expected


@LANGUAGES
@pytest.mark.parametrize("sort", ["missing", "name", *REGULAR_KINDS])
def test_grid_headers_are_the_template_loops(language, sort):
    org = Organization(pk=3, name="x")
    with translation.override(language):
        kinds = [(k, SessionKind(k).label) for k in REGULAR_KINDS]
        expected = _loop(
            HEADERS_LOOP, kinds=kinds, months=range(1, 13), org=org, year=2025, sort=sort
        )
        assert str(compliance_grid_headers(org, 2025, sort)) == expected


@LANGUAGES
def test_grid_rows_are_the_template_loop(language):
    today = date(2025, 8, 10)
    branches = [
        Organization(pk=pk, name=f"{NAME} {pk}", path=f"00010001{pk:04d}", numchild=numchild)
        for pk, numchild in ((21, 0), (22, 2), (23, 1))
    ]
    counts = {(21, kind, m): 1 for kind in REGULAR_KINDS for m in range(1, 13)}  # none missing
    counts |= {(22, SessionKind.THEME_DAY, m): 1 for m in (1, 2, 5)}  # several missing a month
    counts |= {(23, SessionKind.GENERAL_MEETING, 2): 2, (23, SessionKind.COMMITTEE_MEETING, 3): 1}
    grid = compliance_grid(branches, 2025, today, counts, {})
    with translation.override(language):
        expected = _loop(GRID_LOOP, page=grid, year=2025)
        assert str(compliance_grid_rows(grid, 2025)) == expected
    for state in ("heat-ok", "heat-missing heat-many", "heat-due"):
        assert state in expected
