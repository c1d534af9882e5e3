"""{% case_rows page %}: the protection-case list's rows, written in Python for speed.

An organizer's list shows up to 30 cases, and the same markup as a template loop cost some
250 µs a row (a reverse, two lazy labels, a date filter and a plural translation each). Here
each row is one html_rows row: the kind labels and the status badges are made once per page,
the case page's URL is reversed and the time zone looked up once. Escaping is format_html's,
as the template's was.
"""

import uuid

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from members.protection.models import OPEN_CASE_STATUSES, CaseKind, CaseStatus
from members.row_html import html_rows, translated_labels, url_per_row

register = template.Library()

_ROW = (
    '<a class="list-group-item list-group-item-action" href="{url}">'
    '<div class="d-flex justify-content-between gap-2">'
    "<strong>{short_ref} · {kind}</strong>\n"
    "{badge}</div>"
    '<div class="small text-muted">{member} · {branch} · {reported}{files}</div>'
    "</a>\n"
)


def _status_badges(statuses):
    """{status: its badge}, made once per list: a badge depends on the status alone."""
    return {
        status: format_html(
            '<span class="badge {}">{}</span>',
            "bg-warning text-dark" if status in OPEN_CASE_STATUSES else "bg-secondary",
            label,
        )
        for status, label in statuses.items()
    }


def _badge(case, badges):
    if case.voided_at:
        badge = render_to_string("_void_badge.html", {"record": case})
        return format_html("<span>{}</span>", badge)
    return badges.get(case.status) or format_html(
        '<span class="badge bg-secondary">{}</span>', case.status
    )


def _files(n):
    if not n:
        return ""
    return " · " + ngettext("%(n)s file", "%(n)s files", n) % {"n": n}


@register.simple_tag
def case_rows(cases):
    """The <a> of each case (members.protection.selectors.CaseRow) for the list."""
    kinds = translated_labels(CaseKind)
    badges = _status_badges(translated_labels(CaseStatus))
    case_url = url_per_row("members:case_detail", uuid.UUID(int=0))  # cases go by ref
    tz = timezone.get_current_timezone()
    return html_rows(
        _ROW,
        (
            {
                "url": case_url(case.ref),
                "short_ref": case.short_ref,
                "kind": kinds.get(case.kind, case.kind),
                "badge": _badge(case, badges),
                "member": case.member_name,
                "branch": case.branch_name,
                "reported": timezone.localtime(case.reported_at, tz).date().isoformat(),
                "files": _files(case.n_evidence),
            }
            for case in cases
        ),
    )
