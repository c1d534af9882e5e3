"""The rows of the rating page (appraisal/rating.html) written in Python: one card per
appraised member (some 30 in a branch), whose dozen template nodes each (the member, the
tally, the facts, the commendations, the inputs or the grade) were a fifth of the page."""

from django import template
from django.utils.translation import gettext

from appraisal.models import Grade
from members.row_html import html_format, html_rows, translated_labels

register = template.Library()

_ROW = (
    '\n<section class="card mb-2" aria-labelledby="m{pk}">\n'
    '  <div class="card-body py-2">\n'
    '    <h3 id="m{pk}" class="h6 mb-1">{name}</h3>\n'
    '    <div class="small mb-1">\n'
    "      {tally}\n"
    "    </div>\n"
    "    {facts}\n"
    "    {commendations}\n"
    "    \n"
    "    {inputs}\n"
    "    \n"
    "  </div>\n"
    "</section>\n"
)


@register.simple_tag
def rating_rows(sheet):
    """One card per row of `sheet` (selectors.results.rating_sheet): with the row's inputs
    (RatingForm) while the sheet is editable, else its grade and reason (html_rows: the
    cards' dozen template nodes each were a fifth of the page)."""
    # Translated once, not once per row.
    too_few = html_format(
        '<span class="text-muted">{text}</span>', text=gettext("Too few ballots to show a result.")
    )
    commendations_label = gettext("Commendations:")
    grades = translated_labels(Grade) if not sheet["editable"] else None

    def card(row):
        tally_text = row["tally_text"]
        if tally_text:
            tally = html_format("{text}\n      ", text=tally_text)
        else:
            tally = too_few if row["tally"] else ""
        facts, commendations = row["facts_text"], row["commendations_text"]
        return {
            "pk": row["member"].pk,
            "name": row["member"].full_name,
            "tally": tally,
            "facts": html_format('<div class="small text-muted">{text}</div>', text=facts)
            if facts
            else "",
            "commendations": html_format(
                '<div class="small text-success">{label} {text}</div>',
                label=commendations_label,
                text=commendations,
            )
            if commendations
            else "",
            "inputs": row["inputs"] if grades is None else _grade(row["rating"], grades),
        }

    return html_rows(_ROW, map(card, sheet["rows"]))


def _grade(rating, grades):
    """The row's grade and reason, on a sheet no longer edited."""
    grade = grades.get(rating.grade, rating.grade) if rating else ""
    return html_format(
        '<div class="mt-1"><strong>{grade}</strong>{reason}</div>',
        grade=grade or "—",  # as |default:"—"
        reason=html_format(' · <span class="small">{reason}</span>', reason=rating.reason)
        if rating and rating.reason
        else "",
    )
