"""{% hours_rollup_rows page year %}: the study hours rollup's child rows, written in Python.

An organizer's rollup shows up to 50 children, and the same markup as a template loop cost
some 80 µs a row (a reverse, a plural translation and five localized numbers each): at the
root of a large tree the rows were most of what the page cost beyond its fixed part. Here
each row is one html_format (two for an organization, its count of branches), about a
quarter of that: the branch page's URL is reversed once, the number format looked up once.
Escaping is conditional_escape's, as the template's was (members.row_html).
"""

from django import template
from django.urls import reverse
from django.utils.translation import ngettext

from members.row_html import html_format, html_rows, number_text

register = template.Library()

_ROW = (
    '\n  <tr class="{shortfall}" data-org="{pk}">\n'
    '    <td><a href="{href}">{name}</a>{branches}</td>\n'
    '    <td class="text-end">{members}</td>\n'
    '    <td class="text-end">{average}</td>\n'
    '    <td class="text-end">{met}</td>\n'
    '    <td class="text-end">{behind}</td>\n'
    "  </tr>"
)


@register.simple_tag
def hours_rollup_rows(children, year):
    """The <tr> of each child (organizations from rollup_children, with their figures): a
    branch links to its hours page, an organization to its own rollup (with its branches)."""
    number = number_text()
    year = number(year)
    branch_url = reverse("education:hours_branch")

    def row(c):
        pk = number(c.pk)
        if c.is_branch:
            href, branches = f"{branch_url}?branch={pk}&year={year}", ""
        else:
            n = c.n_branches
            href = f"?org={pk}&year={year}"
            branches = html_format(
                ' <span class="small text-muted">{text}</span>',
                text=ngettext("%(n)s branch", "%(n)s branches", n) % {"n": number(n)},
            )
        return {
            "shortfall": "shortfall" if c.n_behind else "",
            "pk": pk,
            "href": href,  # escaped as the template wrote it: &amp;
            "name": c.name,
            "branches": branches,
            "members": number(c.n_members),
            # {{ c.average|default:"—" }}: no average, or an average of 0.0, shows a dash.
            "average": number(c.average) if c.average else "—",
            "met": number(c.n_met),
            "behind": number(c.n_behind),
        }

    return html_rows(_ROW, (row(c) for c in children))
