"""The rows of the rating page (appraisal/rating.html) written in Python: one card per
appraised member (some 30 in a branch), whose dozen template nodes each (the member, the
tally, the facts, the commendations, the inputs or the grade) were a fifth of the page."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from appraisal.models import Grade
from members.row_html import escape_cell, translated_labels

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
    (RatingForm) while the sheet is editable, else its grade and reason. Written with
    str.format, every value escaped (escape_cell), as format_html would."""
    # Translated once, not once per row.
    too_few = format_html(
        '<span class="text-muted">{}</span>', gettext("Too few ballots to show a result.")
    )
    commendations_label = escape_cell(gettext("Commendations:"))
    grades = translated_labels(Grade) if not sheet["editable"] else None
    cards = []
    for row in sheet["rows"]:
        member, tally_text = row["member"], row["tally_text"]
        pk = escape_cell(member.pk)
        cards.append(
            _ROW.format(
                pk,
                pk,
                escape_cell(member.full_name),
                f"{escape_cell(tally_text)}\n      "
                if tally_text
                else too_few
                if row["tally"]
                else "",
                f'<div class="small text-muted">{escape_cell(row["facts_text"])}</div>'
                if row["facts_text"]
                else "",
                f'<div class="small text-success">{commendations_label} '
                f"{escape_cell(row['commendations_text'])}</div>"
                if row["commendations_text"]
                else "",
                escape_cell(row["inputs"] if grades is None else _grade(row["rating"], grades)),
            )
        )
    return mark_safe("".join(cards))  # noqa: S308 (every value escaped)


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
