"""Every page of the site has an exact query pin, the same with little data and with more.

The pages pinned nowhere else (forms, record and detail pages, the account pages) are pinned
here; the walk over the URL resolver then proves that every named URL is pinned here or in
the module named for it, or is not a page (a POST-only action, a download, a redirect).
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.branchsite.test_page_query_pins import _more
from tests.factories import make_members
from tests.site_world import build_site_world, path_kwargs, site_patterns

TESTS = Path(__file__).resolve().parent.parent

# URL name -> (role, exact queries)
PAGES = {
    "appraisal:cycle_open": ("secretary", 5),
    "appraisal:cycle_edit": ("secretary", 4),
    "appraisal:my_self_assessment": ("member", 6),
    "appraisal:self_assessment_detail": ("secretary", 4),
    "appraisal:talk_list": ("secretary", 11),
    "appraisal:peer_reviews": ("secretary", 8),
    "appraisal:record_detail": ("secretary", 7),
    "appraisal:meeting_create": ("secretary", 8),
    "appraisal:meeting_edit": ("secretary", 7),
    "appraisal:commendation_propose": ("secretary", 6),
    "education:session_create": ("secretary", 4),
    "education:session_edit": ("secretary", 4),
    "education:session_cancel": ("secretary", 4),
    "education:makeup_create": ("member", 4),
    "education:calendar": ("member", 4),
    "education:settings": ("organizer", 9),
    "members:member_add": ("secretary", 7),
    "members:member_edit": ("secretary", 5),
    "members:member_transfer": ("secretary", 6),
    "members:roster_import": ("secretary", 7),
    "members:case_open": ("member", 5),
    "password_change": ("member", 3),
    "password_change_done": ("member", 3),
    "second_factor_setup": ("secretary", 6),
}


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_site_world(cast)


def _url(name, world):
    pattern = dict(site_patterns())[name]
    return reverse(name, kwargs=path_kwargs(name, pattern, world))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_costs_the_same_exact_queries_at_two_sizes(
    cast, login, world, name, django_assert_num_queries
):
    role, queries = PAGES[name]
    url = _url(name, world)
    client = login(role)
    client.get(url)  # per-process caches (content types, translations) warm
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    _more(cast, 20)
    make_members(cast.branch, 30)
    client = login(role)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


# URL name -> the module that pins it exactly (the name, or the last part of it where the
# module builds the name, appears there beside an exact count).
PINNED_ELSEWHERE = {
    "home": "appraisal/test_query_counts.py",
    "home_work": "branchsite/test_member_pages_query_counts.py",
    "my_record": "branchsite/test_member_pages_query_counts.py",
    "my_channels": "members/test_channel_pages.py",
    "members:inbox": "branchsite/test_page_query_pins.py",
    "members:roster": "branchsite/test_page_query_pins.py",
    "members:member_detail": "branchsite/test_page_query_pins.py",
    "members:tree": "branchsite/test_page_query_pins.py",
    "members:tree_children": "branchsite/test_page_query_pins.py",
    "members:case_list": "branchsite/test_page_query_pins.py",
    "members:case_detail": "members/test_protection_cases.py",
    "members:channel_settings": "members/test_channel_pages.py",
    "members:delivery_log": "members/test_channel_pages.py",
    "education:session_list": "branchsite/test_page_query_pins.py",
    "education:session_log_new": "education/test_queries.py",
    "education:session_detail": "branchsite/test_page_query_pins.py",
    "education:session_expected": "education/test_queries.py",
    "education:session_log": "education/test_queries.py",
    "education:session_ics": "education/test_queries.py",
    "education:checkin_screen": "branchsite/test_member_pages_query_counts.py",
    "education:checkin_qr": "branchsite/test_member_pages_query_counts.py",
    "education:makeup_list": "education/test_queries.py",
    "education:makeup_review_list": "education/test_queries.py",
    "education:hours_branch": "branchsite/test_page_query_pins.py",
    "education:hours_branch_export": "education/test_queries.py",
    "education:hours_rollup": "branchsite/test_page_query_pins.py",
    "education:hours_rollup_export": "education/test_queries.py",
    "education:hours_member": "branchsite/test_page_query_pins.py",
    "education:hours_member_export": "education/test_queries.py",
    "education:compliance": "branchsite/test_page_query_pins.py",
    "education:compliance_rollup": "branchsite/test_page_query_pins.py",
    "education:calendar_feed": "education/test_queries.py",
    "appraisal:cycle_list": "appraisal/test_query_counts.py",
    "appraisal:cycle_detail": "appraisal/test_cycle_stepper.py",
    "appraisal:cycle_move": "appraisal/test_cycle_stepper.py",
    "appraisal:self_assessment_list": "appraisal/test_query_counts.py",
    "appraisal:ballot": "appraisal/test_cycle_stepper.py",
    "appraisal:paper_ballots": "appraisal/test_query_counts.py",
    "appraisal:tally": "appraisal/test_cycle_stepper.py",
    "appraisal:rating": "appraisal/test_cycle_stepper.py",
    "appraisal:publicity": "appraisal/test_query_counts.py",
    "appraisal:prepare": "appraisal/test_query_counts.py",
    "appraisal:packet": "appraisal/test_query_counts.py",
    "appraisal:meeting_list": "appraisal/test_query_counts.py",
    "appraisal:meeting_detail": "appraisal/test_query_counts.py",
    "appraisal:commendation_list": "appraisal/test_commendation_workflow.py",
    "appraisal:commendation_export": "appraisal/test_commendation_workflow.py",
    "appraisal:commendation_org": "appraisal/test_commendation_workflow.py",
    "appraisal:commendation_detail": "appraisal/test_commendation_history.py",
}

POST_ONLY = {
    "logout",
    "set_language",
    "members:inbox_mark_read",
    "members:case_evidence_add",
    "members:case_transition",
    "members:case_void",
    "members:case_action_add",
    "members:case_assign",
    "members:case_clarification_add",
    "members:case_follow_up_done",
    "members:case_unassign",
    "members:case_clarification_consent",
    "education:session_mark",
    "education:session_close",
    "education:material_add",
    "education:material_delete",
    "education:makeup_review",
    "education:calendar_regenerate",
    "education:calendar_revoke",
    "appraisal:cycle_void",
    "appraisal:meeting_void",
    "appraisal:rating_decide",
    "appraisal:objection_answer",
    "appraisal:rectification_done",
    "appraisal:commendation_approve",
    "appraisal:commendation_reject",
    "appraisal:commendation_publish",
    "appraisal:commendation_void",
    "appraisal:commendation_document_add",
}
# Files served after a permission check, and answers that only redirect.
NOT_PAGES = {
    "favicon",
    "healthz",
    "members:roster_export",
    "members:roster_import_template",
    "members:case_evidence",
    "members:inbox_open",
    "education:material_download",
    "education:makeup_evidence",
    "education:checkin_scan",
    "education:checkin_confirm",
    "appraisal:export_results",
    "appraisal:commendation_document",
    # Django's own sign-in and reset pages, before a session exists.
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "second_factor_verify",
}


def test_every_page_of_the_resolver_is_pinned_or_is_not_a_page():
    names = {name for name, _pattern in site_patterns()}
    known = set(PAGES) | set(PINNED_ELSEWHERE) | POST_ONLY | NOT_PAGES
    assert names - known == set(), "a new URL: pin its page here or name where it is pinned"
    assert known - names == set(), "a URL is gone: drop it here"
    for name, module in PINNED_ELSEWHERE.items():
        source = (TESTS / module).read_text()
        assert "django_assert_num_queries" in source or "CaptureQueriesContext" in source, module
        short = name.rpartition(":")[2]
        assert re.search(rf"[\"'(]({re.escape(name)}|{re.escape(short)})[\"']", source), (
            name,
            module,
        )


def test_post_only_actions_answer_a_get_with_405(cast, login, world):
    client = login("admin")
    for name in sorted(POST_ONLY - {"logout", "set_language"}):
        assert client.get(_url(name, world)).status_code == 405, name
