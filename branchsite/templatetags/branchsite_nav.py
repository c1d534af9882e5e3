"""{% nav_items %}: the main menu's entries, rendered once per language and kind of reader.

The entries (templates/_nav_items.html and the apps' _nav_items partials it includes) depend
only on the reader's scope flags — member or not, branch leader, organizer, site admin — and on
the language, so each combination is rendered once per process and reused on every page. Keep
it that way: an entry that needs anything else (a count, the current page) belongs outside.
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

register = template.Library()

_rendered = {}


@register.simple_tag(takes_context=True)
def nav_items(context):
    scope = context.get("nav_scope")
    if scope is None:
        return ""
    key = (
        translation.get_language(),
        bool(scope.member_id),
        scope.is_branch_leader,
        scope.is_organizer,
        scope.is_admin,
    )
    html = _rendered.get(key)
    if html is None:
        html = render_to_string("_nav_items.html", {"nav_scope": scope})
        if not settings.DEBUG:  # while developing, template edits show at once
            _rendered[key] = html
    return mark_safe(html)  # noqa: S308 - our own template's output
