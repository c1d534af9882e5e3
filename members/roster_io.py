"""Roster import (CSV / XLSX -> members, all or nothing) and export (members -> CSV / XLSX).

File format: one header row, then one member per row. Headers are recognised in Chinese
(姓名, 性别, ...) or English (full_name / "Full name", ...), in any order; unknown columns
are ignored. The headers and the value words (男/女, 正式党员/预备党员, 本科...) are a data
format shared with spreadsheets, so they are fixed strings rather than translations: a
file exported in either language imports again.

Export neutralizes cells a spreadsheet would run as a formula (OWASP "CSV injection"):
any text starting with = + - @ tab or CR gets a leading single quote. Import strips that
quote again, so an export imports back unchanged.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .forms import phone_validator
from .models import Education, Gender, Member, MemberStatus
from .roster_selectors import branch_groups, existing_member_keys
from .xlsx import DATE_FORMAT, FORMULA_TRIGGERS, Sheet, neutralize

MAX_ROWS = 10_000


class ImportFileError(Exception):
    """The file as a whole cannot be used (type, encoding, headers); carries a message."""


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple = ()
    required: bool = False


COLUMNS = (
    Column("full_name", "姓名", "Full name", ("name", "full_name"), required=True),
    Column("gender", "性别", "Gender", ("sex",), required=True),
    Column("birth_date", "出生日期", "Date of birth", ("birth_date", "birthday", "出生年月")),
    Column("ethnicity", "民族", "Ethnicity"),
    Column("education", "学历", "Education", ("文化程度",)),
    Column("phone", "手机", "Phone", ("手机号", "手机号码", "电话", "联系电话", "mobile")),
    Column("email", "邮箱", "E-mail", ("email", "电子邮箱", "电子邮件")),
    Column("joined_on", "入党日期", "Joined the Party on", ("joined_on", "入党时间"), True),
    Column(
        "full_member_on",
        "转正日期",
        "Became a full member on",
        ("full_member_on", "转正时间"),
    ),
    Column("status", "状态", "Status", ("党员状态", "人员类别")),
    Column("group", "党小组", "Group", ("小组", "所在党小组")),
)
EXPORT_BRANCH_HEADER = {"zh": "支部", "en": "Branch"}

GENDER_WORDS_ZH = {Gender.MALE: "男", Gender.FEMALE: "女"}
STATUS_WORDS_ZH = {
    MemberStatus.FULL: "正式党员",
    MemberStatus.PROBATIONARY: "预备党员",
    MemberStatus.TRANSFERRED_OUT: "已转出",
    MemberStatus.DECEASED: "已故",
}
EDUCATION_WORDS_ZH = {
    Education.SECONDARY: "高中及以下",
    Education.VOCATIONAL: "大专",
    Education.BACHELOR: "本科",
    Education.MASTER: "硕士研究生",
    Education.DOCTORATE: "博士研究生",
}
_EXTRA_WORDS = {
    "gender": {"男性": "male", "女性": "female", "m": "male", "f": "female"},
    "status": {"正式": "full", "预备": "probationary"},
    "education": {
        "高中": "secondary",
        "中专": "secondary",
        "职高": "secondary",
        "技校": "secondary",
        "初中": "secondary",
        "初中及以下": "secondary",
        "小学": "secondary",
        "专科": "vocational",
        "高职": "vocational",
        "大学本科": "bachelor",
        "学士": "bachelor",
        "硕士": "master",
        "研究生": "master",
        "博士": "doctorate",
    },
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _lang():
    return "zh" if (translation.get_language() or "").startswith("zh") else "en"


def preview_columns(headers):
    """[(column key, header as in the file)] of the recognised columns, in format order."""
    lang = _lang()
    return [
        (c.key, headers.get(c.key) or (c.zh if lang == "zh" else c.en))
        for c in COLUMNS
        if c.key in headers
    ]


def _norm(text):
    return "".join(str(text).split()).strip("*＊").lower()


def _header_map():
    mapping = {}
    for col in COLUMNS:
        for name in (col.key, col.zh, col.en, *col.aliases):
            mapping[_norm(name)] = col.key
    return mapping


def _value_words(key, choices_cls, zh_words):
    """Words accepted for a choice column: codes, the Chinese words, English and current
    labels, and a few common synonyms."""
    words = {_norm(code): code for code in choices_cls.values}
    words.update({_norm(w): code for code, w in zh_words.items()})
    with translation.override("en"):
        words.update({_norm(str(label)): code for code, label in choices_cls.choices})
    words.update({_norm(str(label)): code for code, label in choices_cls.choices})
    words.update({_norm(w): code for w, code in _EXTRA_WORDS.get(key, {}).items()})
    return words


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


# --- validating rows -----------------------------------------------------------------------


class _WordChoiceField(forms.CharField):
    def __init__(self, *, words, message, **kwargs):
        self.words = words
        self.message = message
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        code = self.words.get(_norm(value))
        if code is None:
            raise ValidationError(self.message)
        return code


class ImportRowForm(forms.Form):
    """One row, as text; cleaned_data holds the keyword arguments of member_create."""

    full_name = forms.CharField(max_length=60)
    gender = _WordChoiceField(words=None, message=gettext_lazy("Enter 男 or 女."))
    birth_date = forms.DateField(required=False, input_formats=DATE_FORMATS)
    ethnicity = forms.CharField(max_length=20, required=False)
    education = _WordChoiceField(
        words=None,
        required=False,
        message=gettext_lazy(
            "Unknown education; use 高中及以下, 大专, 本科, 硕士研究生 or 博士研究生."
        ),
    )
    phone = forms.CharField(max_length=20, required=False, validators=[phone_validator])
    email = forms.EmailField(required=False)
    joined_on = forms.DateField(input_formats=DATE_FORMATS)
    full_member_on = forms.DateField(required=False, input_formats=DATE_FORMATS)
    status = _WordChoiceField(
        words=None,
        required=False,
        message=gettext_lazy("Enter 正式党员 (full member) or 预备党员 (probationary member)."),
    )
    group = forms.CharField(required=False)

    def __init__(self, *args, groups, words, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for key in ("gender", "education", "status"):
            self.fields[key].words = words[key]
        for name in ("birth_date", "joined_on", "full_member_on"):
            self.fields[name].error_messages["invalid"] = _("Enter a date like 2010-07-01.")

    def check(self, data):
        """Validate another row with this same form: building a form per row would copy its
        eleven fields each time, the largest cost of checking a 10 000-row file."""
        self.data = data
        self._errors = None
        return self.is_valid()

    def clean_group(self):
        name = self.cleaned_data["group"].strip()
        if not name:
            return None
        group = self.groups.get(name)
        if group is None:
            raise ValidationError(_("The branch has no group named “%(name)s”.") % {"name": name})
        return group

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status and status not in (MemberStatus.FULL, MemberStatus.PROBATIONARY):
            raise ValidationError(_("Only current members can be imported (正式党员 or 预备党员)."))
        return status

    def clean(self):
        data = super().clean()
        joined, full_on = data.get("joined_on"), data.get("full_member_on")
        if not data.get("status") and "status" not in self.errors:
            data["status"] = MemberStatus.FULL if full_on else MemberStatus.PROBATIONARY
        if data.get("status") == MemberStatus.PROBATIONARY and full_on:
            self.add_error(
                "full_member_on",
                _("A probationary member has no date of becoming a full member yet."),
            )
        if joined and full_on and full_on < joined:
            self.add_error(
                "full_member_on", _("This date cannot be before the date of joining the Party.")
            )
        if joined and joined > timezone.localdate():
            self.add_error("joined_on", _("This date cannot be in the future."))
        if not data.get("ethnicity"):
            data.pop("ethnicity", None)  # the model's default applies
        return data


@dataclass
class ImportRow:
    number: int
    values: dict
    fields: dict | None = None
    errors: list = field(default_factory=list)  # [(column header, message)]

    @property
    def ok(self):
        return not self.errors


# Checked once per import rather than once per row (see validate_rows): the branch and group
# foreign keys (the group comes from the branch's own groups), the account (never imported),
# and the model's check constraint, which ImportRowForm.clean already enforces.
_ROW_CLEAN_EXCLUDE = ["account", "branch", "group"]


def validate_rows(*, branch, headers, rows):
    """Check every row against the branch; returns [ImportRow]. Three queries in all,
    whatever the number of rows."""
    groups = {g.name: g for g in branch_groups(branch)}
    words = {
        "gender": _value_words("gender", Gender, GENDER_WORDS_ZH),
        "status": _value_words("status", MemberStatus, STATUS_WORDS_ZH),
        "education": _value_words("education", Education, EDUCATION_WORDS_ZH),
    }
    existing = existing_member_keys(branch, {values.get("full_name", "") for _n, values in rows})
    labels = {c.key: headers.get(c.key) or (c.zh if _lang() == "zh" else c.en) for c in COLUMNS}
    seen = {}
    result = []
    form = ImportRowForm(data={}, groups=groups, words=words)
    for number, values in rows:
        row = ImportRow(number=number, values=values)
        if form.check(values):
            fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            fields["branch"] = branch
            member = Member(**fields)
            try:
                member.full_clean(
                    exclude=_ROW_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    label = labels.get(name, "—") if name != NON_FIELD_ERRORS else "—"
                    row.errors.extend((label, m) for m in messages)
            row.fields = fields
            name = fields["full_name"]
            for key in (
                (name, "phone", fields.get("phone")),
                (name, "birth", fields.get("birth_date")),
            ):
                if not key[2]:
                    continue
                if key in existing:
                    row.errors.append(
                        (labels["full_name"], _("This member is already on the branch's roster."))
                    )
                elif key in seen:
                    row.errors.append(
                        (labels["full_name"], _("Same member as row %(n)s.") % {"n": seen[key]})
                    )
                seen.setdefault(key, number)
        else:
            for name, messages in form.errors.items():
                label = labels.get(name, "—")
                row.errors.extend((label, m) for m in messages)
        result.append(row)
    return result


@transaction.atomic
def import_members(*, branch, rows, actor, batch_size=1000):
    """Create every row's member in one transaction (nothing when any one fails).

    rows: [ImportRow] that passed validate_rows. Writes in bulk (a few INSERTs per
    thousand rows) with a history entry per member naming the actor, as member_create
    would. Returns the number of members created.
    """
    services.member_create_many(
        branch=branch, rows=[row.fields for row in rows], actor=actor, batch_size=batch_size
    )
    services.audit_log(actor=actor, action="members.roster.import", obj=branch, rows=len(rows))
    return len(rows)


# --- export --------------------------------------------------------------------------------


def export_headers(lang=None):
    lang = lang or _lang()
    headers = [c.zh if lang == "zh" else c.en for c in COLUMNS]
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
    headers = [c.zh if lang == "zh" else c.en for c in COLUMNS]
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
        headers,
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
