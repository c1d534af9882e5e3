"""The rows of the commendation table (appraisal/commendations/_table.html) and of the list
page's waiting proposals, written in Python: a list page shows up to 50 and 20 of them, and
a dozen template nodes per row (a URL, two properties, a date filter, the status badge) were
a fifth of the whole tree's page."""

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext

from appraisal.commendations.models import CommendationStatus
from members.row_html import html_format, html_rows, translated_labels, url_per_row

register = template.Library()

_ROW = """
  <tr>
    <td><a href="{url}">{recipient}</a>
      <div class="small text-muted">{home}</div></td>
    <td>{title}</td>
    <td class="d-none d-md-table-cell">{awarding}</td>
    <td class="text-nowrap">{awarded_on}</td>
    {status}
  </tr>
  """

_BADGE_CLASS = {"published": "bg-success", "rejected": "bg-secondary"}


def _status_cell(c, statuses):
    """The status column's <td> (safe HTML)."""
    if c.voided_at:
        return format_html("<td>{}</td>", render_to_string("_void_badge.html", {"record": c}))
    return html_format(
        '<td><span class="badge {badge}">{label}</span></td>',
        badge=_BADGE_CLASS.get(c.status, "bg-warning text-dark"),
        label=statuses.get(c.status, c.status),
    )


@register.simple_tag
def commendation_rows(commendations, show_status):
    """One <tr> per commendation (CommendationRows of selectors.rows_of_ids), as the
    table's columns (html_rows: not a format_html of seven arguments a row)."""
    collective = gettext("Collective")  # translated once, not per row
    statuses = translated_labels(CommendationStatus)
    detail_url = url_per_row("appraisal:commendation_detail")
    return html_rows(
        _ROW,
        (
            {
                "url": detail_url(c.pk),
                "recipient": c.recipient_name,
                "home": collective if c.is_collective else c.home_organization_name,
                "title": c.display_title,
                "awarding": c.awarding_organization_name,
                "awarded_on": c.awarded_on.isoformat(),  # as |date:"Y-m-d"
                "status": _status_cell(c, statuses) if show_status else "",
            }
            for c in commendations
        ),
    )


@register.simple_tag
def commendation_waiting_items(commendations):
    """One <li> per proposal waiting for the user (the list page's "waiting" box)."""
    statuses = translated_labels(CommendationStatus)
    detail_url = url_per_row("appraisal:commendation_detail")
    return html_rows(
        '<li><a href="{url}">{recipient} · {title}</a>'
        ' <span class="badge bg-warning text-dark">{status}</span></li>',
        (
            {
                "url": detail_url(c.pk),
                "recipient": c.recipient_name,
                "title": c.display_title,
                "status": statuses.get(c.status, c.status),
            }
            for c in commendations
        ),
    )
