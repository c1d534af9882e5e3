"""{% url %} for every template, with URLs that take no arguments reversed once per process.

Reversing costs some 20 µs of matching and quoting, and a page's header and menus reverse the
same twenty-odd argument-free URLs on every request. What such a reverse returns depends only
on the URL configuration, the script prefix and the current namespace, which key a small
table; URLs with arguments are reversed every time, as Django's tag does. Installed as a
template builtin (settings.TEMPLATES), so templates keep writing {% url %}.
"""

from django.conf import settings
from django.template import Library, defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()

_reversed = {}
_MAX_URLS = 1024  # past this (names computed in templates) the table starts again


class URLNode(defaulttags.URLNode):
    def render(self, context):
        if self.args or self.kwargs:
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = (view_name, current_app, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        url = _reversed.get(key)
        if url is None:
            try:
                url = reverse(view_name, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""
            else:
                if len(_reversed) >= _MAX_URLS:
                    _reversed.clear()
                _reversed[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return URLNode(node.view_name, node.args, node.kwargs, node.asvar)
