"""The rows of the commendation table (appraisal/commendations/_table.html) and of the list
page's waiting proposals, written in Python: a list page shows up to 50 and 20 of them, and
a dozen template nodes per row (a URL, two properties, a date filter, the status badge) were
a fifth of the whole tree's page."""

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from appraisal.commendations.models import CommendationStatus
from members.row_html import escape_cell, translated_labels, url_per_row

register = template.Library()

_ROW = """
  <tr>
    <td><a href="{}">{}</a>
      <div class="small text-muted">{}</div></td>
    <td>{}</td>
    <td class="d-none d-md-table-cell">{}</td>
    <td class="text-nowrap">{}</td>
    {}
  </tr>
  """

_BADGE_CLASS = {"published": "bg-success", "rejected": "bg-secondary"}


def _status_cell(c, statuses):
    """The status column's <td> (safe HTML)."""
    if c.voided_at:
        return format_html("<td>{}</td>", render_to_string("_void_badge.html", {"record": c}))
    return '<td><span class="badge {}">{}</span></td>'.format(
        _BADGE_CLASS.get(c.status, "bg-warning text-dark"),
        escape_cell(statuses.get(c.status, c.status)),
    )


@register.simple_tag
def commendation_rows(commendations, show_status):
    """One <tr> per commendation (CommendationRows of selectors.rows_of_ids), as the
    table's columns: str.format with every value escaped (escape_cell), not a format_html
    of seven arguments a row."""
    collective = gettext("Collective")  # translated once, not per row
    statuses = translated_labels(CommendationStatus)
    detail_url = url_per_row("appraisal:commendation_detail")
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            _ROW.format(
                escape_cell(detail_url(c.pk)),
                escape_cell(c.recipient_name),
                escape_cell(collective if c.is_collective else c.home_organization_name),
                escape_cell(c.display_title),
                escape_cell(c.awarding_organization_name),
                c.awarded_on.isoformat(),  # as |date:"Y-m-d"
                _status_cell(c, statuses) if show_status else "",
            )
            for c in commendations
        )
    )


@register.simple_tag
def commendation_waiting_items(commendations):
    """One <li> per proposal waiting for the user (the list page's "waiting" box)."""
    statuses = translated_labels(CommendationStatus)
    detail_url = url_per_row("appraisal:commendation_detail")
    return format_html_join(
        "",
        '<li><a href="{}">{} · {}</a> <span class="badge bg-warning text-dark">{}</span></li>',
        (
            (
                detail_url(c.pk),
                c.recipient_name,
                c.display_title,
                statuses.get(c.status, c.status),
            )
            for c in commendations
        ),
    )
