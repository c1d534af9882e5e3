"""Shared pieces of list rows written in Python (format_html) instead of a template loop.

A hot list (the roster, the case list, a member's sessions, the commendation table) writes its
rows with one format_html each; as template loops they cost some 200 µs a row. What a row
would otherwise repeat is done once per list here: translating the choice labels, and
reversing the row's URL.
"""

import html

from django.urls import reverse
from django.utils.html import conditional_escape

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


def escape_cell(value):
    """What format_html makes of a value, without its per-argument checks: a str escaped as
    escape() does, anything else as conditional_escape (safe HTML kept as it is). For rows
    written with str.format and marked safe as a whole."""
    return html.escape(value) if type(value) is str else conditional_escape(value)
