"""Reading a roster file (CSV or XLSX) into a header row and rows of cell texts.

A leading single quote that export put before a formula trigger is stripped again, so an
export imports back unchanged.
"""

import csv
import io
import zipfile
from datetime import date, datetime

from django.utils.translation import gettext as _

from ..xlsx import FORMULA_TRIGGERS
from .format import COLUMNS, MAX_ROWS, ImportFileError, _header_map, _lang, _norm

# --- reading a file ------------------------------------------------------------------------


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # An exported cell neutralized with a quote comes back as what it was.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        text = text[1:]
    return text


def _read_csv(content):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            break
    else:
        raise ImportFileError(
            _(
                "The file could not be read as text. Save it from the spreadsheet as "
                "“CSV UTF-8 (comma delimited)” or as .xlsx, and upload it again."
            )
        )
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _read_xlsx(content):
    from openpyxl import load_workbook

    if not content.startswith(b"PK"):
        raise ImportFileError(_("The file is not an Excel .xlsx workbook."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(_("The file is not an Excel .xlsx workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def read_table(filename, content):
    """(headers, [(row number, {column key: text})], ignored header names) from a file.

    Row numbers are the spreadsheet's (the header is row 1). Raises ImportFileError.
    """
    rows = _read_xlsx(content) if filename.lower().endswith(".xlsx") else _read_csv(content)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise ImportFileError(_("The file has no header row."))
    header_map = _header_map()
    index, headers, ignored = {}, {}, []
    for i, raw in enumerate(rows[0]):
        key = header_map.get(_norm(raw)) if raw else None
        if key is None:
            if raw:
                ignored.append(raw)
            continue
        if key in index:
            raise ImportFileError(
                _("The column “%(name)s” appears twice in the header row.") % {"name": raw}
            )
        index[key] = i
        headers[key] = raw
    missing = [c for c in COLUMNS if c.required and c.key not in index]
    if missing:
        names = "、".join(c.zh if _lang() == "zh" else c.en for c in missing)
        raise ImportFileError(
            _("Required columns are missing from the header row: %(names)s.") % {"names": names}
        )
    data = []
    for offset, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        data.append((offset, {key: (row[i] if i < len(row) else "") for key, i in index.items()}))
    if not data:
        raise ImportFileError(_("The file has a header row but no members below it."))
    if len(data) > MAX_ROWS:
        raise ImportFileError(
            _("The file has more than %(n)s rows; split it into smaller files.") % {"n": MAX_ROWS}
        )
    return headers, data, ignored
