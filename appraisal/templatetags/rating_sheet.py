"""The rows of the rating page (appraisal/rating.html) written in Python: one card per
appraised member (some 30 in a branch), whose dozen template nodes each (the member, the
tally, the facts, the commendations, the inputs or the grade) were a fifth of the page."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from appraisal.models import Grade
from members.row_html import translated_labels

register = template.Library()

_ROW = (
    '\n<section class="card mb-2" aria-labelledby="m{}">\n'
    '  <div class="card-body py-2">\n'
    '    <h3 id="m{}" class="h6 mb-1">{}</h3>\n'
    '    <div class="small mb-1">\n'
    "      {}\n"
    "    </div>\n"
    "    {}\n"
    "    {}\n"
    "    \n"
    "    {}\n"
    "    \n"
    "  </div>\n"
    "</section>\n"
)


@register.simple_tag
def rating_rows(sheet):
    """One card per row of `sheet` (selectors.results.rating_sheet): with the row's inputs
    (RatingForm) while the sheet is editable, else its grade and reason."""
    # Translated once, not once per row.
    too_few = format_html(
        '<span class="text-muted">{}</span>', gettext("Too few ballots to show a result.")
    )
    commendations_label = gettext("Commendations:")
    grades = translated_labels(Grade) if not sheet["editable"] else None
    return format_html_join(
        "",
        _ROW,
        (
            (
                row["member"].pk,
                row["member"].pk,
                row["member"].full_name,
                format_html("{}\n      ", row["tally_text"])
                if row["tally_text"]
                else too_few
                if row["tally"]
                else "",
                format_html('<div class="small text-muted">{}</div>', row["facts_text"])
                if row["facts_text"]
                else "",
                format_html(
                    '<div class="small text-success">{} {}</div>',
                    commendations_label,
                    row["commendations_text"],
                )
                if row["commendations_text"]
                else "",
                row["inputs"] if grades is None else _grade(row["rating"], grades),
            )
            for row in sheet["rows"]
        ),
    )


def _grade(rating, grades):
    """The row's grade and reason, on a sheet no longer edited."""
    grade = grades.get(rating.grade, rating.grade) if rating else ""
    return format_html(
        '<div class="mt-1"><strong>{}</strong>{}</div>',
        grade or "—",  # as |default:"—"
        format_html(' · <span class="small">{}</span>', rating.reason)
        if rating and rating.reason
        else "",
    )
