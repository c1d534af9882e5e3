"""The study hours tables' rows, written in Python: {% branch_hours_rows members year %} for
a branch's table and {% hours_rollup_rows children year %} for an organizer's rollup.

The same markup as a template loop cost some 80-90 µs a row (a reverse, translations, a
dozen lookups and five localized numbers each): a third of the branch page, and at the root
of a large tree most of what the rollup cost beyond its fixed part. Here each row is one
html_rows entry: the target page's URL reversed once, the labels translated once and the
number format looked up once for the table. Escaping is conditional_escape's, as the
template's was (members.row_html).
"""

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from members.row_html import blocktranslated, html_format, html_rows, number_text, url_per_row

register = template.Library()

_BRANCH_ROW = (
    '\n  <tr class="{shortfall}" {behind_attr}>\n'
    '    <td><a href="{href}">{name}</a>{leader}{behind}</td>\n'
    '    <td class="text-end">{total}{makeup}</td>\n'
    '    <td class="hours-bar-col"><svg class="hours-bar" viewBox="0 0 100 10" '
    'preserveAspectRatio="none" role="img" aria-label="{percent}%"><rect width="100" '
    'height="10" fill="#dee2e6"/><rect width="{percent}" height="10" fill="{fill}"/></svg>'
    '<span class="small ms-1">{percent}%</span></td>\n'
    '    <td class="text-end">{required}</td>\n'
    '    <td class="text-end">{shortfall_hours}</td>\n'
    "  </tr>"
)


@register.simple_tag
def branch_hours_rows(members, year):
    """The <tr> of each member (decorated by selectors.hours.branch_hours_table): hours,
    share of the requirement, required hours and shortfall; behind-pace rows marked."""
    number = number_text()
    member_url = url_per_row("education:hours_member")
    query = f"?year={number(year)}"
    # Translations are written in as {% translate %} writes them: as they are.
    leader_label, behind_label = gettext("leader"), gettext("behind")
    leader = mark_safe(f' <span class="badge bg-light text-dark">{leader_label}</span>')  # noqa: S308
    behind = mark_safe(f' <span class="visually-hidden">{behind_label}</span>')  # noqa: S308
    behind_attr = mark_safe('data-behind="1"')
    makeup_text = gettext("incl. %(h)s make-up")

    def row(m):
        makeup = ""
        if m.makeup_hours:
            text = blocktranslated(makeup_text, h=number(m.makeup_hours))
            makeup = mark_safe(f'<div class="small text-muted">{text}</div>')  # noqa: S308
        if m.percent >= 100:
            fill = "#146c43"
        elif m.behind_pace:
            fill = "#8a4b00"
        else:
            fill = "#b0181e"
        return {
            "shortfall": "shortfall" if m.behind_pace else "",
            "behind_attr": behind_attr if m.behind_pace else "",
            "href": member_url(m.pk) + query,
            "name": m.full_name,
            "leader": leader if m.is_leader else "",
            "behind": behind if m.behind_pace else "",
            "total": number(m.total_hours),
            "makeup": makeup,
            "percent": number(m.percent),
            "fill": fill,
            "required": number(m.required_hours),
            "shortfall_hours": number(m.shortfall) if m.shortfall else "—",
        }

    return html_rows(_BRANCH_ROW, (row(m) for m in members))


_ROLLUP_ROW = (
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

    return html_rows(_ROLLUP_ROW, (row(c) for c in children))
