"""Calendar arithmetic in the site's time zone (Asia/Shanghai): years, months, quarters."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar year as aware datetimes in the site's time zone."""
    tz = local_tz()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = local_tz()
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = local_tz()
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, start + timedelta(days=1)


def quarter_months(quarter: int) -> range:
    return range(quarter * 3 - 2, quarter * 3 + 1)


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, local_tz()).date()
