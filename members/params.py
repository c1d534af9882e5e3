"""Query parameters, read one way on every page.

A value that cannot be what the page asks for (a word where a number goes, a year no record
has, an impossible date, a sort key the page does not know) raises `BadParameter`, which
answers 400 with a translated sentence naming the parameter (`branchsite.views.bad_request`);
an id of the right form that names nothing is the caller's 404. An absent or empty parameter
is the default. Nothing here ever lets a number reach the database that no column can hold.
"""

from django.core.exceptions import BadRequest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

# Years a record of the Party's organizations can carry (founded 1921).
FIRST_YEAR = 1921
LAST_YEAR = 2100
# Past this a page number or an id names nothing; well inside every integer column.
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1
MAX_LENGTH = 200


class BadParameter(BadRequest):
    """A query parameter that cannot mean anything; the message is shown to the user."""


def _raw(request, name):
    raw = request.GET.get(name)
    if raw is None and request.method == "POST":
        raw = request.POST.get(name)
    raw = (raw or "").strip()
    if "\x00" in raw or len(raw) > MAX_LENGTH:
        raise BadParameter(_("The parameter “%(name)s” is not valid.") % {"name": name})
    return raw


def ascii_digits(text: str) -> bool:
    """True for one or more ASCII digits: str.isdigit() alone also passes "²", which int()
    refuses, and "٣", which it reads as 3."""
    return text.isascii() and text.isdigit()


def parse_id(raw):
    """The id of a row in a raw value (a form's or a query's), as int; None unless it is ASCII
    digits (ascii_digits) for an id a row can have."""
    raw = str(raw).strip() if raw is not None else ""
    if not ascii_digits(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def _whole_number(raw, name):
    if not ascii_digits(raw):
        raise BadParameter(_("“%(name)s” must be a whole number.") % {"name": name})
    return int(raw)


def int_param(request, name, *, default=None, minimum=0, maximum=MAX_PAGE, out_of_range=None):
    """A whole number in [minimum, maximum]; absent or empty -> default; else 400 (with the
    message out_of_range, given %(name)s, %(low)s and %(high)s, when one is given)."""
    raw = _raw(request, name)
    if not raw:
        return default
    value = _whole_number(raw, name)
    if not minimum <= value <= maximum:
        message = out_of_range or _("“%(name)s” must be between %(low)s and %(high)s.")
        raise BadParameter(message % {"name": name, "low": minimum, "high": maximum})
    return value


def id_param(request, name, *, default=None):
    """The id of a row: a positive whole number (else 400); one no row can have is a 404."""
    raw = _raw(request, name)
    if not raw:
        return default
    value = _whole_number(raw, name)
    if not 1 <= value <= MAX_ID:
        raise Http404
    return value


def page_param(request, name="page"):
    """The page number of a list: 1 when absent; 400 when not a page number."""
    return int_param(request, name, default=1, minimum=1, maximum=MAX_PAGE)


def this_year():
    return timezone.localdate().year


def year_param(request, name="year", *, default=None, minimum=FIRST_YEAR, maximum=LAST_YEAR):
    """A calendar year in [minimum, maximum]; absent or empty -> default; else 400."""
    return int_param(
        request,
        name,
        default=default,
        minimum=minimum,
        maximum=maximum,
        out_of_range=_("The year must be between %(low)s and %(high)s."),
    )


def choice_param(request, name, choices, *, default=""):
    """One of `choices` (the values); absent or empty -> default; else 400."""
    raw = _raw(request, name)
    if not raw:
        return default
    if raw not in choices:
        raise BadParameter(_("“%(name)s” has a value this page does not know.") % {"name": name})
    return raw
