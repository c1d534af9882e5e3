"""iCalendar (RFC 5545) output: a member's private feed and a single session's event."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from .models.sessions import SessionState

PRODID = "-//branchsite//education//ZH"
# Calendars remind the member this long before each session.
REMINDER_BEFORE = timedelta(hours=1)


def _calendar(name):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def _event(session, url):
    event = Event()
    event.add("uid", f"session-{session.pk}@branchsite")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", session.title)
    event.add("last-modified", session.updated_at)
    location = session.place or session.online_url
    if location:
        event.add("location", location)
    description = [str(session.get_kind_display()), str(session.organization)]
    if session.lecturer:
        description.append(session.lecturer)
    if session.online_url:
        description.append(session.online_url)
    event.add("description", "\n".join(description))
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if session.state == SessionState.CANCELLED else "CONFIRMED")
    if session.state != SessionState.CANCELLED:  # a cancelled session reminds nobody
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -REMINDER_BEFORE)
        alarm.add("description", _("In one hour: %(title)s") % {"title": session.title})
        event.add_component(alarm)
    return event


def sessions_calendar(sessions, *, name, url_for=None) -> bytes:
    cal = _calendar(name)
    for session in sessions:
        cal.add_component(_event(session, url_for(session) if url_for else ""))
    return cal.to_ical()
