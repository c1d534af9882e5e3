"""The one XLSX writer: every export (roster, study hours, rollups, commendations, appraisal
results) and the roster's import template are written here.

Every text cell is inert: text a spreadsheet would run as a formula (OWASP "CSV injection":
a name, a reason or a title typed as `=HYPERLINK(...)`, or starting with + - @, a tab or a
carriage return) gets a leading apostrophe, and every text cell is written as a string, so
no cell of an export is ever a formula. Numbers and dates stay numbers and dates.

Workbooks are written in openpyxl's write-only mode: rows stream out as they are made, so a
100 000-row export never holds its cells in memory.
"""

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel's limit on a cell's text; longer text is cut rather than refused.
MAX_CELL_TEXT = 32_767


def neutralize(value):
    """Text a spreadsheet would run as a formula gets a leading quote; the rest is as is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def cell_value(value):
    """What a Python value becomes in a cell: numbers and dates as themselves, anything else
    as inert text (aware datetimes in local time: a spreadsheet has no time zones)."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, datetime.date):
        return value
    return neutralize(str(value)[:MAX_CELL_TEXT])


@dataclass
class Sheet:
    """One worksheet: a bold, frozen header row, then the rows (any iterable, consumed once).

    widths: column widths from column A; formats: {column index: number format} for the
    data cells of that column (also empty ones, e.g. "@" for a phone column in a template);
    validations: openpyxl DataValidation objects (drop-down lists of a template).
    """

    title: str
    header: Sequence
    rows: Iterable[Sequence] = ()
    widths: Sequence[float] = ()
    formats: dict[int, str] = field(default_factory=dict)
    validations: Sequence = ()
    counted: int = 0  # rows written, set by write_workbook


def _cell(sheet, value, number_format=None, bold=False):
    cell = WriteOnlyCell(sheet, value=cell_value(value))
    if cell.data_type == "f":  # never: cell_value neutralized it; this keeps it so
        cell.data_type = "s"
    if isinstance(cell.value, datetime.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(cell.value, datetime.date):
        cell.number_format = DATE_FORMAT
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_workbook(sheets: Iterable[Sheet]) -> bytes:
    """The .xlsx bytes of the sheets, in order (each sheet's `counted` is set)."""
    workbook = Workbook(write_only=True)
    for spec in sheets:
        ws = workbook.create_sheet(title=_sheet_title(spec.title))
        for i, width in enumerate(spec.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for validation in spec.validations:
            ws.data_validations.append(validation)
        if spec.header:
            ws.freeze_panes = "A2"
            ws.append([_cell(ws, h, bold=True) for h in spec.header])
        count = 0
        for row in spec.rows:
            ws.append([_cell(ws, v, spec.formats.get(i)) for i, v in enumerate(row)])
            count += 1
        spec.counted = count
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title):
    # Excel refuses these characters in a sheet's name and names over 31 characters.
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title)).strip("'")
    return name[:31] or "Sheet"


def xlsx_response(filename: str, sheets: Iterable[Sheet]) -> HttpResponse:
    """An attachment download of the workbook; never cached, never sniffed."""
    response = HttpResponse(write_workbook(sheets), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
