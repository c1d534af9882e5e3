"""Roster export (members -> CSV / XLSX) and the empty import template.

Export neutralizes cells a spreadsheet would run as a formula (OWASP "CSV injection"):
any text starting with = + - @ tab or CR gets a leading single quote.
"""

import csv
import io
from datetime import date

from django.utils.translation import gettext as _

from ..models import MemberStatus
from ..xlsx import DATE_FORMAT, Sheet, neutralize
from .format import (
    COLUMNS,
    EDUCATION_WORDS_ZH,
    EXPORT_BRANCH_HEADER,
    GENDER_WORDS_ZH,
    MAX_ROWS,
    STATUS_WORDS_ZH,
    _lang,
    column_headers,
)

# --- export --------------------------------------------------------------------------------


def export_headers(lang=None):
    lang = lang or _lang()
    headers = column_headers(lang)
    headers.insert(-1, EXPORT_BRANCH_HEADER[lang])
    return headers


def _member_row(member, lang):
    if lang == "zh":
        gender = GENDER_WORDS_ZH.get(member.gender, member.gender)
        education = EDUCATION_WORDS_ZH.get(member.education, "")
        status = STATUS_WORDS_ZH.get(member.status, member.status)
    else:
        gender = member.get_gender_display()
        education = member.get_education_display() if member.education else ""
        status = member.get_status_display()
    return [
        member.full_name,
        str(gender),
        member.birth_date,
        member.ethnicity,
        str(education),
        member.phone,
        member.email,
        member.joined_on,
        member.full_member_on,
        str(status),
        member.branch.name,
        member.group.name if member.group_id else "",
    ]


def export_rows(members, lang=None):
    """Neutralized rows (lists of cells) for the members, in the format's order."""
    lang = lang or _lang()
    for member in members:
        yield [neutralize(v) for v in _member_row(member, lang)]


def export_csv(members):
    """The roster as CSV text with a BOM (Excel opens UTF-8 Chinese text correctly then)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(export_headers())
    for row in export_rows(members):
        writer.writerow(
            ["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in row]
        )
    return buffer.getvalue()


ROSTER_WIDTHS = (12, 6, 12, 8, 12, 16, 26, 12, 12, 10, 20, 14)


def export_sheet(members, *, title):
    """The roster as one sheet for members.xlsx: dates as real dates, every text cell inert."""
    return Sheet(title, export_headers(), export_rows(members), widths=ROSTER_WIDTHS)


def import_template_sheets():
    """An empty roster in the import format, with an instruction sheet and input lists."""
    from openpyxl.worksheet.datavalidation import DataValidation

    lang = _lang()
    lists = {
        "gender": GENDER_WORDS_ZH.values(),
        "status": [STATUS_WORDS_ZH[MemberStatus.FULL], STATUS_WORDS_ZH[MemberStatus.PROBATIONARY]],
        "education": EDUCATION_WORDS_ZH.values(),
    }
    validations, formats = [], {}
    for i, col in enumerate(COLUMNS):
        letter = chr(ord("A") + i)
        if col.key in lists:
            dv = DataValidation(type="list", formula1='"' + ",".join(lists[col.key]) + '"')
            dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            validations.append(dv)
        if col.key in ("birth_date", "joined_on", "full_member_on"):
            formats[i] = DATE_FORMAT
        if col.key == "phone":
            formats[i] = "@"
    roster = Sheet(
        "花名册" if lang == "zh" else "Roster",
        column_headers(lang),
        [[None] * len(COLUMNS) for _row in range(200)],
        widths=ROSTER_WIDTHS,
        formats=formats,
        validations=validations,
    )
    help_texts = {
        "full_name": _("The member's full name."),
        "gender": _("男 or 女."),
        "birth_date": _("A date such as 1990-05-01."),
        "ethnicity": _("For example 汉族; empty means 汉族."),
        "education": "、".join(EDUCATION_WORDS_ZH.values()),
        "phone": _("Mobile number, digits only or with + and hyphens."),
        "email": _("An e-mail address for reminders."),
        "joined_on": _("The date of joining the Party, such as 2015-07-01."),
        "full_member_on": _("Empty for a probationary member."),
        "status": _("正式党员 or 预备党员; when empty it follows from the full-membership date."),
        "group": _("The exact name of one of the branch's Party groups; may stay empty."),
    }
    notes_rows = [
        [col.zh if lang == "zh" else col.en, _("yes") if col.required else "", help_texts[col.key]]
        for col in COLUMNS
    ]
    notes_rows += [
        [],
        [_("Fill in the first sheet from row 2. Every row is checked before anything is saved.")],
    ]
    notes = Sheet(
        "说明" if lang == "zh" else "Instructions",
        [_("Column"), _("Required"), _("What to enter")],
        notes_rows,
        widths=(18, 8, 70),
    )
    return [roster, notes]
