"""{% dashboard_cycle_rows cycles %}: the rows of the appraisal section on an organizer's home
(appraisal/_dashboard_section.html), written in Python for speed.

The section lists up to DASHBOARD_CYCLES cycles, and as a template loop a row cost some 30 µs
(a reverse, a lazy step label, four numbers). Here the step labels are translated and the
cycle page's URL reversed once per list, and each row is one html_rows row. Escaping is
format_html's, as the template's was; the counts print as plain numbers, as under the
template's {% localize off %}.
"""

from django import template
from django.template.loader import render_to_string

from appraisal.models import Step
from members.row_html import html_rows, translated_labels, url_per_row

register = template.Library()

_ROW = (
    '<tr><td><a href="{url}">{branch}</a></td><td>{step} {void}</td>'
    '<td class="text-end">{n_submitted}/{n_participants}</td>'
    '<td class="text-end">{n_turnout}/{n_voters}</td></tr>'
)


@register.simple_tag
def dashboard_cycle_rows(cycles):
    """The <tr> of each cycle (with its branch and with_progress's counts)."""
    steps = translated_labels(Step)
    cycle_url = url_per_row("appraisal:cycle_detail")
    return html_rows(
        _ROW,
        (
            {
                "url": cycle_url(c.pk),
                "branch": str(c.branch),
                "step": steps.get(c.step, c.step),
                # A voided cycle is marked, with its reason (a rare row: the shared partial).
                "void": render_to_string("_void_badge.html", {"record": c}) if c.voided_at else "",
                "n_submitted": c.n_submitted,
                "n_participants": c.n_participants,
                "n_turnout": c.n_turnout,
                "n_voters": c.n_voters,
            }
            for c in cycles
        ),
    )
