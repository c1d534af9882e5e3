"""A member's to-do, gathered from each app's selectors (branchsite may import every app).

Each item is a dict: kind, text (translated, addressed to the member), url, action (the
button's label) and, where there is one, due (a date). Today's check-in comes first, then the
ballot and the self-assessment, then the make-up study owed.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_MAKEUP_ITEMS = 3


def member_todo(*, education, cycles):
    """`education`: education.selectors.overview.member_overview(...) for this year; `cycles`: the
    appraisal cycles the member takes part in this year, with my_assessment and my_voted."""
    items = []
    for a in education["checkin_today"]:
        items.append(
            {
                "kind": "checkin",
                "text": _("Check in to “%(title)s” at %(time)s: scan the code on the screen.")
                % {
                    "title": a.session.title,
                    "time": timezone.localtime(a.session.starts_at).strftime("%H:%M"),
                },
                "url": reverse("education:session_detail", args=[a.session.pk]),
                "action": _("See the session"),
            }
        )
    for c in cycles:
        if c.step == "ballot" and not c.my_voted:
            items.append(
                {
                    "kind": "ballot",
                    "text": _("Your democratic ballot is open. Please cast your ballot."),
                    "url": reverse("appraisal:ballot", args=[c.pk]),
                    "action": _("Cast my ballot"),
                    "due": c.ballot_closes_on,
                }
            )
        if c.step == "self_assessment" and c.my_assessment != "submitted":
            items.append(
                {
                    "kind": "self_assessment",
                    "text": _("Your self-assessment is due."),
                    "url": reverse("appraisal:my_self_assessment", args=[c.pk]),
                    "action": _("Write my self-assessment"),
                    "due": c.self_assessment_due,
                }
            )
    owed = education["makeups_owed"]
    for a in owed[:MAX_MAKEUP_ITEMS]:
        items.append(
            {
                "kind": "makeup",
                "text": _("You missed “%(title)s” (%(date)s): make-up study is owed.")
                % {
                    "title": a.session.title,
                    "date": timezone.localtime(a.session.starts_at).strftime("%Y-%m-%d"),
                },
                "url": reverse("education:makeup_create") + f"?session={a.session.pk}",
                "action": _("Record make-up study"),
            }
        )
    if len(owed) > MAX_MAKEUP_ITEMS:
        items.append(
            {
                "kind": "makeup",
                "text": _("%(n)s more sessions are waiting for make-up study.")
                % {"n": len(owed) - MAX_MAKEUP_ITEMS},
                "url": reverse("my_record") + "#year-sessions",
                "action": _("See them"),
            }
        )
    return items


def year_choices(member, year, *, shown=4):
    """The years a member can look back on: the last `shown` as links, all since joining in a
    list (no query: the member is loaded)."""
    this_year = timezone.localdate().year
    first = min(member.joined_on.year if member.joined_on else this_year, this_year)
    first = max(first, this_year - 30)
    every = list(range(this_year, first - 1, -1))
    return {"links": every[:shown], "all": every, "year": year, "this_year": this_year}
