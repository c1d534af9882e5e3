"""The roster file format: its columns, headers (Chinese or English) and value words.

The headers and the value words (男/女, 正式党员/预备党员, 本科...) are a data format shared
with spreadsheets, so they are fixed strings rather than translations: a file exported in
either language imports again.
"""

from dataclasses import dataclass

from django.utils import translation

from ..models import Education, Gender, MemberStatus

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


def column_headers(lang):
    """The format's headers in this language ("zh" or "en"), in column order."""
    return [c.zh if lang == "zh" else c.en for c in COLUMNS]


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
