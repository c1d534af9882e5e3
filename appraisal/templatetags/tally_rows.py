"""The rows of the tally (appraisal/_tally_table.html) written in Python: each appraised member
(some 30 in a branch) has a bar of grades and a row of the table, whose loops over the grades
as template nodes were most of the page's time. Numbers print as the template printed them
with localize off; escaping is format_html's."""

from django import template
from django.utils.formats import localize
from django.utils.translation import gettext

from members.row_html import html_format, html_rows

register = template.Library()

_BAR_ROW = """
    <li class="tally-bar-row">
      <span class="tally-name">{name}</span>
      {result}
    </li>
  """
_BAR = (
    '\n      <svg class="tally-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
    'aria-label="{name}：{text}"><rect class="track" x="0" y="0" width="100" height="10"/>'
    "{segments}</svg>\n"
    '      <span class="tally-text small">{text}</span>\n      '
)
_SEGMENT = '<rect class="g-{grade}" x="{x}" y="0" width="{width}" height="10"/>'
_TOO_FEW_BAR = '<span class="tally-text small text-muted">{text}</span>'

_TABLE_ROW = """
  <tr>
    <th scope="row" class="text-nowrap">{name}</th>
    {counts}
    <td class="text-end">{total}</td>
  </tr>
  """
_COUNT = (
    '<td class="text-end">{count}'
    '<span class="text-muted small d-block d-sm-inline"> ({share}%)</span></td>'
)
_TOO_FEW_CELL = '<td colspan="4" class="text-muted small">{text}</td>'


def _number(value):
    """The value as {{ value }} prints it with localize off (a count: as str() does)."""
    return str(value) if type(value) is int else localize(value, use_l10n=False)


@register.simple_tag
def tally_bar_rows(tally):
    """The <li> of each row of `tally` (with its "bar" segments and "bar_text", as the view's
    _with_bars gives them): the member's name and their bar, or that too few voted."""
    too_few = html_format(_TOO_FEW_BAR, text=gettext("Too few ballots to show a result."))

    def row(r):
        name = r["member"].full_name
        result = too_few
        if r["shown"]:
            segments = html_rows(
                _SEGMENT,
                (
                    {"grade": s["grade"], "x": _number(s["x"]), "width": _number(s["width"])}
                    for s in r["bar"]
                ),
            )
            result = html_format(_BAR, name=name, text=r["bar_text"], segments=segments)
        return {"name": name, "result": result}

    return html_rows(_BAR_ROW, map(row, tally["rows"]))


@register.simple_tag
def tally_table_rows(tally):
    """The <tr> of each row of `tally`: the member, each grade's count and share (or that too
    few voted), and their ballots."""
    too_few = html_format(_TOO_FEW_CELL, text=gettext("Too few ballots to show a result."))

    def row(r):
        counts = too_few
        if r["shown"]:
            cells = (
                {"count": _number(g["count"]), "share": _number(g["share"])} for g in r["grades"]
            )
            counts = html_format("{cells}\n    ", cells=html_rows(_COUNT, cells))
        return {"name": r["member"].full_name, "counts": counts, "total": _number(r["total"])}

    return html_rows(_TABLE_ROW, map(row, tally["rows"]))
