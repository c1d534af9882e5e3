"""The regular-meetings rollup's tables (templates/education/compliance_rollup.html), written
in Python: {% compliance_children_rows %} (the organizations below),
{% compliance_grid_headers %} (the grid's kind and month columns) and {% compliance_grid_rows %}
(a branch a row: missing per kind, the month heat map).

A page shows up to 50 organizations and 50 branches. As template loops an organization's row
cost some 40 µs and a branch's some 300 µs (17 cells of nested conditions and lookups); here
about 15 and 45. Each row is one html_rows row, and the cells a grid repeats (nothing missing,
one kind missing in a month...) are written once per list and reused. The kinds' labels are
translated once per list, the branch page's URL reversed once. Escaping is
conditional_escape's, as the template's was.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from members.row_html import html_rows, number_text, translated_labels

from ..models.sessions import REGULAR_KINDS, SessionKind

register = template.Library()

_CHILD_ROW = (
    '<tr data-org="{pk}">\n'
    '    <td><a href="?org={pk}&amp;year={year}">{name}</a></td>\n'
    '    <td class="text-end">{branches}</td>\n'
    '    <td class="text-end">{branches_missing}</td>\n'
    '    <td class="text-end">{missing}</td>\n'
    "  </tr>"
)

_GRID_ROW = (
    '\n  <tr data-branch="{pk}">\n'
    '    <th scope="row" class="text-start fw-normal">'
    '<a href="{url}?branch={pk}&amp;year={year}">{name}</a></th>\n'
    "    <td>{total}</td>\n"
    "    {cells}\n"
    "  </tr>"
)

_HEAT_OK = mark_safe('<td class="small heat-ok" title=""></td>')
_HEAT_DUE = mark_safe('<td class="small heat-due" title="">…</td>')


def _kind_labels():
    labels = translated_labels(SessionKind)
    return {kind: labels[kind] for kind in REGULAR_KINDS}


def _counts_in_red(number, element="span"):
    """n -> what a count cell shows: 0, or n in red (<element class="text-danger">), each
    written once per list."""
    written = {}

    def text(n):
        if not n:
            return "0"
        html = written.get(n)
        if html is None:
            html = written[n] = format_html(
                '<{} class="text-danger">{}</{}>', element, number(n), element
            )
        return html

    return text


@register.simple_tag
def compliance_children_rows(children, year):
    """The <tr> of each organization below (rollup_children: organizations with figures)."""
    number = number_text()
    year = number(year)
    in_red = _counts_in_red(number)
    return html_rows(
        _CHILD_ROW,
        (
            {
                "pk": number(c.pk),
                "year": year,
                "name": c.name,
                "branches": number(c.figures.branches),
                "branches_missing": in_red(c.figures.branches_missing),
                "missing": number(c.figures.missing),
            }
            for c in children
        ),
    )


@register.simple_tag
def compliance_grid_headers(org, year, sort):
    """The grid's <th> of each kind (a link sorting by it, ▼ on the current sort), a newline,
    and the <th> of each month."""
    number = number_text()
    kinds = format_html_join(
        "",
        '<th scope="col" class="small"><a href="?org={}&amp;year={}&amp;sort={}">{}</a>{}</th>',
        (
            (number(org.pk), number(year), kind.value, label, " ▼" if sort == kind else "")
            for kind, label in _kind_labels().items()
        ),
    )
    month = gettext("M%(m)s")
    months = format_html_join(
        "",
        '<th scope="col" class="small">{}</th>',
        ((month % {"m": number(m)},) for m in range(1, 13)),
    )
    return format_html("{}\n    {}", kinds, months)


@register.simple_tag
def compliance_grid_rows(page, year):
    """The <tr> of each branch (BranchCompliance rows of compliance_page)."""
    number = number_text()
    year = number(year)
    branch_url = reverse("education:compliance")
    labels = _kind_labels()
    in_red, total_in_red = _counts_in_red(number), _counts_in_red(number, "strong")
    kind_cells = {}  # missing count -> its <td>, written once per list
    month_cells = {}  # (kinds missing, anything due) of a month -> its <td>

    def kind_cell(n):
        html = kind_cells.get(n)
        if html is None:
            html = kind_cells[n] = format_html("<td>{}</td>", in_red(n))
        return html

    def month_cell(cell):
        key = (tuple(cell["missing"]), bool(cell["due"]))
        html = month_cells.get(key)
        if html is None:
            html = month_cells[key] = _month_cell(number, cell)
        return html

    def row(bc):
        return {
            "pk": number(bc.branch.pk),
            "url": branch_url,
            "year": year,
            "name": bc.branch.name,
            "total": total_in_red(bc.missing_total),
            # A kind's cell each (missing periods), then a month's each (the heat map): each
            # safe HTML already written (once) above.
            "cells": mark_safe(  # noqa: S308 (safe pieces joined)
                "".join([kind_cell(n) for n in bc.missing.values()])
                + "\n    "
                + "".join([month_cell(cell) for cell in bc.month_cells(labels)])
            ),
        }

    return html_rows(_GRID_ROW, (row(bc) for bc in page))


def _month_cell(number, cell):
    missing = cell["missing"]
    if missing:
        return format_html(
            '<td class="small heat-missing{}" title="{}">✗{}<span class="visually-hidden">{}'
            "</span></td>",
            " heat-many" if len(missing) > 1 else "",
            cell["missing_text"],
            number(len(missing)),
            cell["missing_text"],
        )
    return _HEAT_DUE if cell["due"] else _HEAT_OK
