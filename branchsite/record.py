"""Sections that several apps add to a member's record (/me/) and to the home dashboard.

Each entry is a selector and the partial that renders what it returns; a selector returns a
dict (the partial's context) or None to leave its section out. They are listed here, in page
order, because branchsite is the only place that may import every app.
"""

from appraisal.commendations import selectors as commendation_selectors
from appraisal.selectors import sections as appraisal_sections
from education import selectors as education_selectors
from members.protection import selectors as protection_selectors

APPRAISAL_RECORD_TEMPLATE = "appraisal/_record_section.html"

# selector(member, *, year) -> dict | None.
# Education's part of /me/ is the page's own top (to-do, hours ring, sessions): see views.
# The appraisal section's open cycles also feed the to-do (views.my_record).
RECORD_SECTIONS = [
    (appraisal_sections.record_section, APPRAISAL_RECORD_TEMPLATE),
    (
        commendation_selectors.commendation_record_section,
        "appraisal/_commendation_record_section.html",
    ),
    (
        protection_selectors.protection_record_section,
        "members/_protection_record_section.html",
    ),
]

# selector(user, scope, *, year) -> dict | None; shown on the home dashboard after the
# foundation's own summary.
# (The member's own part of home and the protection counts are composed in views.)
DASHBOARD_SECTIONS = [
    (education_selectors.dashboard_section, "education/_dashboard_section.html"),
    (appraisal_sections.dashboard_section, "appraisal/_dashboard_section.html"),
]


def _collect(entries, *args, **kwargs):
    sections = []
    for selector, template in entries:
        context = selector(*args, **kwargs)
        if context is not None:
            sections.append({"template": template, "context": context})
    return sections


def record_sections(member, *, year):
    return _collect(RECORD_SECTIONS, member, year=year)


def dashboard_sections(user, scope, *, year):
    return _collect(DASHBOARD_SECTIONS, user, scope, year=year)
