"""Shared pieces of list rows written in Python (format_html) instead of a template loop.

A hot list (the roster, the case list, a member's sessions, the commendation table) writes its
rows with one format_html each; as template loops they cost some 200 µs a row. What a row
would otherwise repeat is done once per list here: translating the choice labels, reversing
the row's URL, looking up the language's number format.
"""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import get_format, localize

# Values no row has, that the URL converters accept: replaced by each row's own.
_INT_PLACEHOLDER = 2147483647


def translated_labels(choices):
    """{value: label} of a choices class, each label translated once for the whole list (in
    the request's language). Look values up with .get(value, value): a value that is no
    choice shows as it is, as get_FOO_display does."""
    return {value: str(label) for value, label in choices.choices}


def url_per_row(view_name, placeholder=_INT_PLACEHOLDER):
    """key -> reverse(view_name, args=[key]), reversed once for the whole list: for
    `placeholder` (an int by default; pass a value of the URL's own type, e.g. a UUID),
    which each call replaces by the row's key."""
    marker = str(placeholder)
    head, found, tail = reverse(view_name, args=[placeholder]).partition(marker)
    if not found or marker in tail:
        raise ValueError(f"{view_name}: cannot place a key in its URL")
    return lambda key: f"{head}{key}{tail}"


def number_text():
    """value -> the text {{ value }} shows for it (an int, a Decimal: localized), with the
    request's language's decimal separator looked up once for the whole list instead of by
    every value. With USE_THOUSAND_SEPARATOR each value goes through Django's localize."""
    if settings.USE_THOUSAND_SEPARATOR:
        return lambda value: str(localize(value))
    decimal_sep = get_format("DECIMAL_SEPARATOR")

    def text(value):
        if type(value) is int:
            return str(value)
        if isinstance(value, Decimal):
            return numberformat.format(value, decimal_sep)
        return str(localize(value))

    return text
