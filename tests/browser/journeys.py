"""The users' journeys as steps in the browser, shared by the tests against the development
server (live_server, the cast) and those against the deployed server (.ci/deploy.sh, the demo
data).

Each step drives pages only, through a base address (a URL, or live_server), names people as
the page shows them, and returns what the page showed; the caller checks the outcome its own
way (the ORM on the development server, the pages on the deployed one).
"""

import time
from base64 import b32decode
from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from django_otp.oath import TOTP

from tests.browser.conftest import browser_login


def zh(text, context=None):
    """The Simplified Chinese the pages show for `text`."""
    with translation.override("zh-hans"):
        return pgettext(context, text) if context else gettext(text)


def url(base, path):
    return f"{getattr(base, 'url', base).rstrip('/')}{path}"


def fits(page):
    """Nothing on the page is wider than the window: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def choose(page, selector, name):
    """Pick the option of a select that names `name`: member options add their branch
    ("name · branch"), organization options are indented by depth."""
    value = page.locator(selector).evaluate(
        """(select, name) => [...select.options].find(
            o => o.text.trim() === name || o.text.trim().startsWith(name + " · "))?.value""",
        name,
    )
    assert value, f"{name} is not offered in {selector}"
    page.select_option(selector, value)


def form_errors(page):
    """What a form said was wrong (for the message of a failed check)."""
    return page.locator(".invalid-feedback, .alert-danger").all_inner_texts()


def submit(page, selector):
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


# --- logging in ---------------------------------------------------------------------------


def second_factor_set_up(page):
    """On the set-up page: read the key as a person types it into the app, confirm with the
    app's code; returns (the TOTP device as the phone holds it, the ten recovery codes)."""
    key = page.get_by_test_id("second-factor-key").inner_text().replace(" ", "")
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    submit_second_factor(page, totp)
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    return totp, codes


def submit_second_factor(page, totp):
    """Type the app's current code into the code page (a code is good once: after a use,
    wait for the next one)."""
    totp.time = time.time()
    page.fill("input[name=token]", f"{totp.token():06d}")
    submit(page, "form:has(input[name=token]) button[type=submit]")


def log_in(page, base, username, password, *, totp=None):
    """Log in through the form; where the role needs two-step login, set it up (first time:
    returns the TOTP device) or give the code of `totp`."""
    browser_login(page, base, username, password)
    if "/accounts/two-step/verify/" in page.url:
        submit_second_factor(page, totp)
    elif "/accounts/two-step/" in page.url:
        totp, _codes = second_factor_set_up(page)
    return totp


# --- education ----------------------------------------------------------------------------


def attendance_mark(page, name, status, reason=""):
    """On the log form: mark one member (by name) present/late/excused/absent, with a reason."""
    row = page.locator(f"[data-log-row][data-name='{name}']")
    row.locator(f"label[for$='_{status}']").click()
    if reason:
        row.locator("input[id^=note_]").fill(reason)


def session_log_open(page, base, org=None):
    """The log form of a new held session: for the organization `org` (pk), or, for a
    secretary of one branch, straight to theirs. Returns the member names listed."""
    page.goto(url(base, "/education/sessions/log/" + (f"?org={org}" if org else "")))
    page.wait_for_url(lambda u: "org=" in u)
    return page.locator("[data-log-row]").evaluate_all("rows => rows.map(r => r.dataset.name)")


def session_log_save(page, *, title, kind, hours, marks=None, starts_at=None, ends_at=None):
    """Fill the log form opened by session_log_open and save it: everyone present but the
    `marks` ({name: (status, reason)}), at the form's times unless given. Returns the new
    session's address."""
    page.fill("#id_title", title)
    page.select_option("#id_kind", kind)
    page.fill("#id_hours", str(hours))
    for field, when in (("starts_at", starts_at), ("ends_at", ends_at)):
        if when:
            page.fill(f"#id_{field}", f"{timezone.localtime(when):%Y-%m-%dT%H:%M}")
    for name, (status, reason) in (marks or {}).items():
        attendance_mark(page, name, status, reason)
    submit(page, "#session-log button[type=submit]")
    assert "/log/" not in page.url, form_errors(page)
    assert zh("The session and its attendance are saved.") in page.inner_text("main")
    return page.url


def session_plan(page, base, *, organization, title, kind, hours, starts_in):
    """Plan a session of `organization` (its name) starting in `starts_in`; returns its id."""
    starts = timezone.localtime() + starts_in
    page.goto(url(base, "/education/sessions/new/"))
    choose(page, "#id_organization", organization)
    page.select_option("#id_kind", kind)
    page.fill("#id_title", title)
    page.fill("#id_starts_at", f"{starts:%Y-%m-%dT%H:%M}")
    page.fill("#id_ends_at", f"{starts + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.fill("#id_hours", str(hours))
    page.fill("#id_place", "党员活动室")
    submit(page, "main form button[type=submit]")
    assert "/sessions/new/" not in page.url, form_errors(page)
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def hours_of(page, base, name, query=""):
    """A member's hours this year, from the branch's hours table."""
    page.goto(url(base, f"/education/hours/{query}"))
    row = page.locator("tbody tr", has=page.get_by_role("link", name=name, exact=True))
    return row.locator("td").nth(1).inner_text().split()[0]


def kiosk_open(kiosk, base, session_id):
    """The check-in screen on the room's display; returns the address its QR code holds."""
    kiosk.goto(url(base, f"/education/sessions/{session_id}/checkin-screen/"))
    kiosk.locator(".kiosk-qr svg").wait_for()
    return kiosk.locator("[data-checkin-url]").get_attribute("data-checkin-url")


def check_in_by_phone(phone, checkin_url, username, password):
    """A member's phone "scans" the code: opens its address, logs in if asked, confirms."""
    phone.goto(checkin_url)
    phone.wait_for_url(lambda u: "/accounts/login/" in u or "/checkin/" in u)
    if "/accounts/login/" in phone.url:
        phone.fill("input[name=username]", username)
        phone.fill("input[name=password]", password)
        submit(phone, "form:has(input[name=password]) button[type=submit]")
    submit(phone, f"main button:has-text('{zh('Check me in')}')")
    assert zh("You are checked in. Welcome!") in phone.inner_text("main")


def kiosk_sees(kiosk, name):
    """The kiosk lists the member within a few seconds (it polls)."""
    kiosk.locator("[data-testid=checkin-names]", has_text=name).wait_for(timeout=10_000)


# --- appraisal ----------------------------------------------------------------------------


def cycle_open(page, base, branch, *, year=None):
    """An organizer opens the appraisal of `branch` (its name) from the appraisal list;
    returns the new cycle's id."""
    page.goto(url(base, "/appraisal/"))
    page.get_by_role("link", name=zh("Open appraisal cycles")).click()
    page.get_by_label(branch, exact=True).check()
    if year is not None:
        page.fill("input[name=year]", str(year))
    fits(page)
    with page.expect_navigation():
        page.get_by_test_id("open-cycles").click()
    page.wait_for_url("**/appraisal/cycles/*/")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def cycle_move(page, base, cycle_id, *, expect_open=(), reason=None):
    """From the overview: the next step's button, the confirmation (naming what is still
    open), a reason where one is needed, and confirm. Returns the confirmation's open items."""
    page.goto(url(base, f"/appraisal/cycles/{cycle_id}/"))
    page.get_by_test_id("move-button").click()
    page.wait_for_url(f"**/appraisal/cycles/{cycle_id}/move/")
    listed = page.get_by_test_id("open-items")
    listed = listed.inner_text() if listed.count() else ""
    for name in expect_open:
        assert name in listed, (name, listed)
    if reason:
        page.fill("textarea[name=reason]", reason)
    with page.expect_navigation():
        page.get_by_test_id("confirm-move").click()
    assert not page.url.endswith("/move/"), form_errors(page)
    return listed


SELF_ASSESSMENT = {
    "study": "系统学习了党员网络行为规定。",
    "duties": "按时完成本职工作。",
    "discipline": "严守纪律。",
    "online_conduct": "网上发言注意身份，不转发未核实信息。",
    "improvements": "转发前先核实来源。",
}


def self_assessment_submit(page, base, cycle_id, texts=SELF_ASSESSMENT):
    """A member writes and submits their self-assessment."""
    page.goto(url(base, f"/appraisal/cycles/{cycle_id}/self-assessment/"))
    for field, text in texts.items():
        page.fill(f"#id_{field}", text)
    page.click("[data-testid=submit-assessment]")
    page.locator("[data-testid=assessment-submitted]").wait_for()


def ballot_grade(page, grades=None, default="qualified"):
    """On a ballot (online, or a paper ballot being entered): each member listed gets
    `grades[name]` (a grade's value, "excellent"...) or `default` (None: left blank), by a
    tap on its button. Returns the names in the ballot's order."""
    grades = grades or {}
    members = page.locator("[data-ballot-member]")
    names = members.locator("legend").all_inner_texts()
    for index, name in enumerate(names):
        grade = grades.get(name, default)
        if grade is not None:
            members.nth(index).locator(f"input[value={grade}] + label").click()
    return names


def ballot_cast(page):
    """Cast the graded ballot, accepting the "cannot be changed" question."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=cast-ballot]")
    page.locator("[data-testid=voted]").wait_for()


def rating_propose(page, base, cycle_id, *, excellent=()):
    """The branch rates: `excellent` (names) excellent and, by the one button, the rest
    qualified (saved, not yet sent)."""
    page.goto(url(base, f"/appraisal/cycles/{cycle_id}/rating/"))
    for name in excellent:
        card = page.locator("section.card", has=page.get_by_role("heading", name=name, exact=True))
        card.locator("select").select_option("excellent")
    submit(page, "[data-testid=fill-qualified]")


def rating_send(page):
    """On the rating page: save it and send it to the organization above for approval."""
    submit(page, f"button:has-text('{zh('Save and send for approval')}')")


def rating_approve(page, base, cycle_id):
    """The organization above approves the branch's rating."""
    page.goto(url(base, f"/appraisal/cycles/{cycle_id}/rating/"))
    page.get_by_label(zh("Approve")).check()
    submit(page, f"button:has-text('{zh('Record the decision')}')")


# --- protection and commendations ---------------------------------------------------------


def case_open(
    page,
    base,
    *,
    on_behalf_of=None,
    kind,
    description,
    place,
    occurred_on,
    help,
    links="",
    file_name="说明.txt",
):
    """Open a protection case (for oneself, or for the member named `on_behalf_of`) with a
    text file as evidence; returns the address the form led to (the case, for one's own)."""
    page.goto(url(base, "/members/cases/new/"))
    if on_behalf_of:
        choose(page, "select[name=on_behalf_of]", on_behalf_of)
    page.select_option("select[name=kind]", kind)
    page.fill("textarea[name=description]", description)
    page.fill("input[name=place]", place)
    page.fill("input[name=occurred_on]", f"{occurred_on:%Y-%m-%d}")
    page.fill("textarea[name=evidence_links]", links)
    page.fill("textarea[name=help_requested]", help)
    page.set_input_files(
        "input[name=files]",
        files=[{"name": file_name, "mimeType": "text/plain", "buffer": description.encode()}],
    )
    submit(page, "form[enctype] [type=submit]")
    assert "/members/cases/new/" not in page.url, form_errors(page)
    return page.url


def case_accept(page):
    """The handler, on the case's page, accepts it."""
    submit(page, "form:has(input[name=action][value=accept]) button")


def case_action_record(page, *, kind, description, outcome):
    """The handler, on the case's page, records an action taken."""
    details = page.locator("details:has(form[action$='/actions/'])")
    if details.get_attribute("open") is None:  # open by default while the timeline is empty
        details.locator("summary").click()
    form = "form[action$='/actions/']"
    page.select_option(f"{form} select[name=kind]", kind)
    page.fill(f"{form} textarea[name=description]", description)
    page.fill(f"{form} textarea[name=outcome]", outcome)
    submit(page, f"{form} [type=submit]")


def clarification_record(page, *, text, where, to, approved_by, reference):
    """The handler, on an accepted case's page, records the clarification issued (澄清正名)."""
    page.locator("details:has(form[action$='/clarifications/']) summary").click()
    form = "form[action$='/clarifications/']"
    page.fill(f"{form} textarea[name=text]", text)
    page.fill(f"{form} input[name=issued_on]", f"{timezone.localdate():%Y-%m-%d}")
    page.fill(f"{form} input[name=published_where]", where)
    page.fill(f"{form} input[name=published_to]", to)
    choose(page, f"{form} select[name=approving_organization]", approved_by)
    page.fill(f"{form} input[name=approval_reference]", reference)
    submit(page, f"{form} [type=submit]")


def commendation_propose(page, base, *, member, title, awarding, reason):
    """Propose a commendation of the member named `member`, awarded by `awarding` (its
    name); returns the commendation's address."""
    page.goto(url(base, "/appraisal/commendations/propose/"))
    page.check("input[name=recipient_kind][value=member]")
    choose(page, "select[name=member]", member)
    page.select_option("select[name=title]", title)
    choose(page, "select[name=awarding_organization]", awarding)
    page.fill("textarea[name=reason]", reason)
    submit(page, "#propose-form [type=submit]")
    assert "/propose/" not in page.url, form_errors(page)
    return page.url


def commendation_decide(page, commendation_url):
    """The deciding organization approves the commendation, then publishes it."""
    page.goto(commendation_url)
    submit(page, f"form[action$='/approve/'] button:has-text('{zh('Approve')}')")
    publish = zh("Publish", "announce a commendation")
    submit(page, f"form[action$='/publish/'] button:has-text('{publish}')")
    return page.get_by_test_id("commendation-status").inner_text()
