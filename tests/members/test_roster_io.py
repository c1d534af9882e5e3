"""Roster import (upload -> preview -> confirm, all or nothing) and export (inert cells)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from members.forms import MAX_IMPORT_BYTES
from members.models import AuditEntry, Member, MemberStatus
from members.views import IMPORT_SESSION_KEY
from tests.factories import make_member

IMPORT = reverse("members:roster_import")
EXPORT = reverse("members:roster_export")

HEADER_ZH = [
    "姓名",
    "性别",
    "出生日期",
    "民族",
    "学历",
    "手机",
    "邮箱",
    "入党日期",
    "转正日期",
    "状态",
    "党小组",
]
GOOD_ROWS = [
    [
        "赵一",
        "男",
        "1990-01-02",
        "汉族",
        "本科",
        "13800000001",
        "a@example.org",
        "2015-07-01",
        "2016-07-01",
        "正式党员",
        "第一党小组",
    ],
    ["钱二", "女", "1998/3/4", "", "硕士研究生", "", "", "2023-06-30", "", "预备党员", ""],
    ["孙三", "女", "", "回族", "", "+86 139-0000-0003", "", "2001.07.01", "2002.07.01", "", ""],
]


def csv_bytes(rows, header=HEADER_ZH, bom=True, encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, header=HEADER_ZH):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, branch, content, name="roster.csv"):
    return client.post(
        IMPORT, {"branch": branch.pk, "file": SimpleUploadedFile(name, content)}, follow=False
    )


def confirm(client, response):
    return client.post(IMPORT, {"token": response.context["token"]})


# --- import ------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
def test_valid_csv_imports_every_row(cast, login, bom):
    client = login("secretary")
    preview = upload(client, cast.branch, csv_bytes(GOOD_ROWS, bom=bom))
    assert preview.status_code == 200
    assert preview.context["errors"] == []
    assert preview.context["token"]
    assert not Member.objects.filter(full_name="赵一").exists()  # preview writes nothing
    done = confirm(client, preview)
    assert done.status_code == 302
    assert done["Location"] == reverse("members:roster") + f"?branch={cast.branch.pk}"
    zhao = Member.objects.get(full_name="赵一")
    assert (zhao.gender, zhao.education, zhao.status) == ("male", "bachelor", "full")
    assert zhao.group == cast.group and zhao.branch == cast.branch
    assert str(zhao.birth_date) == "1990-01-02"
    qian = Member.objects.get(full_name="钱二")
    assert qian.status == MemberStatus.PROBATIONARY and str(qian.birth_date) == "1998-03-04"
    sun = Member.objects.get(full_name="孙三")
    assert sun.status == MemberStatus.FULL  # follows from the full-membership date
    assert sun.ethnicity == "回族" and sun.phone == "+86 139-0000-0003"
    assert zhao.history.first().history_user == cast.secretary.account
    assert AuditEntry.objects.filter(action="members.roster.import", data__rows=3).exists()
    assert IMPORT_SESSION_KEY not in client.session


def test_valid_xlsx_with_english_headers_and_real_dates(cast, login):
    from datetime import date

    header = [
        "Full name",
        "Gender",
        "Date of birth",
        "Phone",
        "Joined the Party on",
        "Status",
        "Extra",
    ]
    rows = [
        ["Li Lei", "male", date(1990, 1, 1), 13800000009, date(2012, 7, 1), "probationary", "x"],
        ["Han Meimei", "Female", None, None, "2013-07-01", "full", ""],
    ]
    client = login("organizer")
    preview = upload(client, cast.other_branch, xlsx_bytes(rows, header), "roster.xlsx")
    assert preview.context["errors"] == []
    assert preview.context["ignored"] == ["Extra"]
    assert confirm(client, preview).status_code == 302
    li = Member.objects.get(full_name="Li Lei")
    assert li.phone == "13800000009" and li.branch == cast.other_branch
    assert Member.objects.get(full_name="Han Meimei").gender == "female"


def test_gbk_csv_from_a_chinese_excel_is_read(cast, login):
    client = login("secretary")
    preview = upload(client, cast.branch, csv_bytes(GOOD_ROWS[:1], bom=False, encoding="gb18030"))
    assert preview.context["errors"] == []
    assert preview.context["results"][0].values["full_name"] == "赵一"


def test_one_bad_row_imports_nothing_and_names_row_and_field(cast, login):
    rows = [*GOOD_ROWS]
    rows.insert(1, ["周四", "男", "", "", "", "not-a-phone", "", "2015-07-01", "", "", ""])
    client = login("secretary")
    preview = upload(client, cast.branch, csv_bytes(rows))
    assert preview.status_code == 200
    assert [(n, label) for n, label, _msg in preview.context["errors"]] == [(3, "手机")]
    content = preview.content.decode()
    assert 'data-testid="import-errors"' in content
    assert "手机" in content
    assert preview.context["token"] == ""
    assert 'name="token"' not in content  # nothing to confirm
    assert IMPORT_SESSION_KEY not in client.session
    assert not Member.objects.filter(full_name__in=["赵一", "周四", "钱二"]).exists()


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (["", "男", "", "", "", "", "", "2015-07-01", "", "", ""], "姓名"),
        (["甲", "未知", "", "", "", "", "", "2015-07-01", "", "", ""], "性别"),
        (["乙", "男", "", "", "", "", "", "2015-13-45", "", "", ""], "入党日期"),
        (["丙", "男", "", "", "", "", "", "", "", "", ""], "入党日期"),
        (["丁", "男", "", "", "", "", "", "2015-07-01", "2014-01-01", "", ""], "转正日期"),
        (["戊", "男", "", "", "", "", "", "2015-07-01", "2016-07-01", "预备党员", ""], "转正日期"),
        (["己", "男", "", "", "", "", "bad@", "2015-07-01", "", "", ""], "邮箱"),
        (["庚", "男", "", "", "", "", "", "2015-07-01", "", "已故", ""], "状态"),
        (["辛", "男", "", "", "幼儿园", "", "", "2015-07-01", "", "", ""], "学历"),
        (["壬", "男", "", "", "", "", "", "2015-07-01", "", "", "不存在的小组"], "党小组"),
        (["张伟", "男", "", "", "", "", "", "2015-07-01", "", "", ""], None),  # name only: ok
    ],
)
def test_row_errors_name_the_field(cast, login, row, field):
    preview = upload(login("secretary"), cast.branch, csv_bytes([row]))
    labels = [label for _n, label, _m in preview.context["errors"]]
    assert labels == ([field] if field else [])


def test_duplicates_in_file_and_on_roster_are_refused(cast, login):
    cast.member.phone = "13811112222"
    cast.member.save()
    rows = [
        ["张伟", "男", "", "", "", "13811112222", "", "2015-07-01", "", "", ""],
        ["新人", "女", "1990-01-01", "", "", "", "", "2015-07-01", "", "", ""],
        ["新人", "女", "1990-01-01", "", "", "", "", "2015-07-01", "", "", ""],
    ]
    preview = upload(login("secretary"), cast.branch, csv_bytes(rows))
    assert [n for n, _l, _m in preview.context["errors"]] == [2, 4]


def test_confirm_checks_again_and_writes_nothing_if_something_changed(cast, login):
    client = login("secretary")
    preview = upload(client, cast.branch, csv_bytes(GOOD_ROWS))
    make_member(cast.branch, "赵一", phone="13800000001")  # someone added it meanwhile
    response = confirm(client, preview)
    assert response.status_code == 200
    assert [n for n, _l, _m in response.context["errors"]] == [2]
    assert not Member.objects.filter(full_name__in=["钱二", "孙三"]).exists()
    assert IMPORT_SESSION_KEY not in client.session


def test_confirm_with_a_stale_token_does_nothing(cast, login):
    client = login("secretary")
    upload(client, cast.branch, csv_bytes(GOOD_ROWS))
    response = client.post(IMPORT, {"token": "forged"})
    assert response.status_code == 302
    assert not Member.objects.filter(full_name="赵一").exists()


def test_confirm_after_losing_the_branch_is_refused(cast, login):
    client = login("secretary")
    preview = upload(client, cast.branch, csv_bytes(GOOD_ROWS))
    for position in cast.secretary.positions.all():  # a save per row, as the admin does
        position.ended_on = "2020-06-01"
        position.save()
    assert confirm(client, preview).status_code == 403
    assert not Member.objects.filter(full_name="赵一").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("roster.txt", b"hello"),
        ("roster.xls", b"\xd0\xcf\x11\xe0"),
        ("roster.csv", b""),
        ("roster.csv", b"\xff\xfe\x00\x00\x00garbage\x00"),  # not text
        ("roster.xlsx", b"this is no workbook"),
        ("roster.xlsx", b"PK\x03\x04broken zip"),
        ("roster.csv", "姓名,手机\n张三,1\n".encode()),  # required columns missing
        ("roster.csv", "姓名,性别,入党日期\n".encode()),  # header only
        ("roster.csv", "姓名,姓名,性别,入党日期\n张三,张三,男,2015-07-01\n".encode()),
        ("roster.csv", b"x" * (MAX_IMPORT_BYTES + 1)),  # too large
    ],
)
def test_unusable_files_get_a_clear_message(cast, login, name, content):
    response = upload(login("secretary"), cast.branch, content, name)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Member.objects.filter(full_name="张三").exists()


def test_import_target_must_be_a_managed_branch(cast, login):
    response = upload(login("secretary"), cast.far_branch, csv_bytes(GOOD_ROWS))
    assert "branch" in response.context["form"].errors
    assert not Member.objects.filter(full_name="赵一").exists()


def test_template_is_a_workbook_in_the_import_format(cast, login):
    response = login("secretary").get(reverse("members:roster_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    header = [c.value for c in workbook.worksheets[0][1]]
    assert header == HEADER_ZH
    assert len(workbook.worksheets) == 2  # instructions


# --- export ------------------------------------------------------------------------------


@pytest.fixture
def formula_member(cast):
    return make_member(
        cast.branch,
        '=HYPERLINK("http://evil.example","click")',
        phone="+1-202-555-0100",
        ethnicity="@SUM(1)",
        email="x@example.org",
    )


def test_xlsx_export_is_inert(cast, login, formula_member):
    response = login("secretary").get(EXPORT + "?format=xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    evil = next(r for r in rows if r[0] and "HYPERLINK" in r[0])
    assert evil[0] == "'" + formula_member.full_name
    assert evil[5] == "'+1-202-555-0100"
    assert evil[3] == "'@SUM(1)"
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    assert {r[0] for r in rows[1:]} == {"张伟", "王芳", "李娜", "刘洋", evil[0]}


def test_csv_export_is_inert_and_has_a_bom(cast, login, formula_member):
    response = login("secretary").get(EXPORT + "?format=csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    evil = next(r for r in rows if "HYPERLINK" in r[0])
    assert evil[0].startswith("'=")
    assert evil[5] == "'+1-202-555-0100"
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_respects_filters_scope_and_is_audited(cast, login):
    client = login("organizer")
    response = client.get(EXPORT + f"?format=csv&branch={cast.other_branch.pk}&q=陈")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["陈静"]
    entry = AuditEntry.objects.get(action="members.roster.export")
    assert entry.actor == cast.organizer.account
    assert entry.object_id == str(cast.other_branch.pk)
    assert entry.data["rows"] == 1 and entry.data["format"] == "csv"
    client.get(EXPORT + "?format=xlsx")
    latest = AuditEntry.objects.filter(action="members.roster.export").first()
    assert latest.object_id == "" and latest.data == {**latest.data, "rows": 7, "format": "xlsx"}


def test_export_unknown_format_is_400(cast, login):
    assert login("secretary").get(EXPORT + "?format=pdf").status_code == 400


def test_export_imports_back(cast, login, formula_member):
    """What the roster exports is a file the import accepts (quotes stripped again)."""
    client = login("organizer")
    exported = client.get(EXPORT + f"?format=xlsx&branch={cast.branch.pk}&q=HYPERLINK")
    preview = upload(client, cast.other_branch, exported.content, "export.xlsx")
    assert preview.context["errors"] == []
    assert preview.context["ignored"] == ["支部"]
    assert confirm(client, preview).status_code == 302
    copy = Member.objects.get(branch=cast.other_branch, full_name=formula_member.full_name)
    assert copy.phone == "+1-202-555-0100" and copy.ethnicity == "@SUM(1)"


# --- a large file ----------------------------------------------------------------------------


def _many_rows(n):
    rows = []
    for i in range(n):
        joined = f"{1990 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        full_on = f"{1991 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        probationary = i % 17 == 0
        rows.append(
            [
                f"成员{i:05d}",
                "男" if i % 2 else "女",
                f"{1960 + i % 40}-01-15",
                "汉族",
                "本科",
                f"139{i:08d}",
                f"m{i}@example.org",
                joined,
                "" if probationary else full_on,
                "预备党员" if probationary else "正式党员",
                "第一党小组" if i % 3 == 0 else "",
            ]
        )
    return rows


def test_a_10000_row_file_imports_every_row_with_history(cast, login):
    """The row limit covers a whole committee's roster in one file (correctness, not timing)."""
    rows = _many_rows(10_000)
    content = csv_bytes(rows)
    client = login("secretary")
    preview = upload(client, cast.branch, content)
    assert preview.status_code == 200
    assert preview.context["errors"] == []
    assert len(preview.context["results"]) == 10_000
    assert len(preview.context["shown"]) == 200  # the preview lists a sample, not the file
    assert not Member.objects.filter(full_name__startswith="成员").exists()
    done = confirm(client, preview)
    assert done.status_code == 302
    imported = Member.objects.filter(full_name__startswith="成员", branch=cast.branch)
    assert imported.count() == 10_000
    assert imported.filter(status=MemberStatus.PROBATIONARY).count() == len(range(0, 10_000, 17))
    assert imported.filter(group=cast.group).count() == len(range(0, 10_000, 3))
    last = imported.get(full_name="成员09999")
    assert (last.phone, last.email, str(last.joined_on)) == (
        "13900009999",
        "m9999@example.org",
        "1999-04-04",
    )
    history = Member.history.filter(full_name__startswith="成员")
    assert history.count() == 10_000
    assert set(history.values_list("history_type", "history_user")) == {
        ("+", cast.secretary.account.pk)
    }
    assert AuditEntry.objects.filter(action="members.roster.import", data__rows=10_000).exists()
    # The same file again is refused row by row: every member is already on the roster.
    again = upload(client, cast.branch, content)
    assert len({n for n, _label, _msg in again.context["errors"]}) == 10_000
    assert len(again.context["errors_shown"]) == 200  # the page lists a readable share
    assert f"另有{len(again.context['errors']) - 200}处错误" in again.content.decode()
    assert again.context["token"] == ""


def test_a_bad_row_in_a_large_file_is_shown_and_nothing_is_saved(cast, login):
    rows = _many_rows(3_000)
    rows[2_500][1] = "不详"  # gender
    client = login("secretary")
    preview = upload(client, cast.branch, csv_bytes(rows))
    assert [(n, label) for n, label, _msg in preview.context["errors"]] == [(2_502, "性别")]
    assert 2_502 in [r.number for r in preview.context["shown"]]
    assert preview.context["token"] == ""
    assert not Member.objects.filter(full_name__startswith="成员").exists()


def test_more_rows_than_the_limit_is_refused(cast, login):
    client = login("secretary")
    response = upload(client, cast.branch, csv_bytes(_many_rows(10_001)))
    assert "10000" in response.content.decode() or "10 000" in response.content.decode()
    assert not Member.objects.filter(full_name__startswith="成员").exists()


def test_a_file_over_the_limit_is_refused_for_its_size(cast, login):
    response = upload(login("secretary"), cast.branch, b"x" * (MAX_IMPORT_BYTES + 1), "roster.csv")
    assert "MB" in str(response.context["form"].errors["file"])
