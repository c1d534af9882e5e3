"""The template loader: Django's cached loader, keeping one copy of each template per language
with its fixed texts written in.

A page's header, menus and labels hold some sixty `{% translate "…" %}` and `{% static "…" %}`
tags whose output depends only on the language (and the static files' storage), yet each
costs a catalogue look-up or a storage call on every request: together some 0.5 ms of a
7 ms page. Here a template is compiled once per language, and each such tag whose every
argument is a literal is rendered then and replaced by its text (runs of text joined into
one). What a page shows is unchanged: the same tag renders the same text, once.

Written in: `{% translate "literal" %}` (with a literal `context`), `{% blocktranslate %}`
with no variable, no `count` and no `as`, and `{% static "literal" %}`; never inside
`{% language %}`, whose language is chosen at render time. Tags with filters or `as` are
left to render as usual, and so is a static URL with a character that autoescaping would
change. Changing STATIC_URL or STORAGES (tests do) empties the cache.

One difference from Django's loader: a `{% language %}` block inside a loop that includes a
template gets the language of the loop's first turn in that template (an include keeps the
template it loaded for the whole render). Nothing here does that; render such a template
once per language instead.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context, Template, engines
from django.template.base import NodeList, TextNode, TokenType, Variable
from django.template.defaulttags import IfNode
from django.template.loaders import cached
from django.templatetags.i18n import BlockTranslateNode, LanguageNode, TranslateNode
from django.templatetags.static import StaticNode
from django.utils.translation import trans_real


class Loader(cached.Loader):
    def cache_key(self, template_name, skip=None):
        return f"{super().cache_key(template_name, skip)}@{_catalogue()}"

    def get_template(self, template_name, skip=None):
        cached = self.get_template_cache.get(self.cache_key(template_name, skip))
        if isinstance(cached, Template):  # (else missing, or a miss remembered: Django's)
            return cached
        template = super().get_template(template_name, skip)
        template.nodelist = _written_in(template.nodelist, template)
        return template


def _catalogue():
    """The language whose texts gettext gives now; "" when none is active (deactivate_all:
    the texts as written), whatever get_language says then."""
    language = getattr(trans_real.catalog(), "language", None)
    return language() if language else ""


@receiver(setting_changed)
def _static_settings_changed(*, setting, **kwargs):
    if setting in {"STATIC_URL", "STORAGES"}:
        for engine in engines.all():
            for loader in getattr(engine, "engine", engine).template_loaders:
                if isinstance(loader, Loader):
                    loader.reset()


def _literal(expression):
    """Whether a FilterExpression (or None) is a literal without filters."""
    if expression is None:
        return True
    var = expression.var
    return not expression.filters and (
        isinstance(var, str) or (isinstance(var, Variable) and var.literal is not None)
    )


def _fixed(node):
    """Whether the node's output depends on nothing but the language and the settings."""
    if isinstance(node, TranslateNode):
        return (
            not node.asvar and _literal(node.filter_expression) and _literal(node.message_context)
        )
    if isinstance(node, BlockTranslateNode):
        return (
            not node.extra_context
            and node.countervar is None
            and not node.plural
            and not node.asvar
            and all(token.token_type == TokenType.TEXT for token in node.singular)
            and _literal(node.message_context)
        )
    if isinstance(node, StaticNode):
        return node.varname is None and _literal(node.path)
    return False


def _text(node, template):
    """The node's output, or None where it would depend on the autoescaping in force where it
    is rendered (a static URL with a character to escape): rendered both ways, compared."""
    outputs = set()
    for autoescape in (True, False):
        context = Context(autoescape=autoescape)
        with context.bind_template(template):
            outputs.add(str(node.render(context)))
    return outputs.pop() if len(outputs) == 1 else None


def _written_in(nodelist, template):
    """A new NodeList of these nodes: fixed tags rendered to text, runs of text joined, and
    the nodelists below each node written in likewise (in place of the node's own)."""
    nodes = []
    for node in nodelist:
        text = _text(node, template) if _fixed(node) else None
        if text is not None:
            node = TextNode(text)
        elif not isinstance(node, LanguageNode):
            _write_children(node, template)
        if isinstance(node, TextNode) and nodes and isinstance(nodes[-1], TextNode):
            node = TextNode(nodes[-1].s + node.s)
            nodes.pop()
        nodes.append(node)
    written = NodeList(nodes)
    written.contains_nontext = any(not isinstance(node, TextNode) for node in nodes)
    return written


def _write_children(node, template):
    if isinstance(node, IfNode):
        node.conditions_nodelists = [
            (condition, _written_in(nodelist, template))
            for condition, nodelist in node.conditions_nodelists
        ]
        return
    for attr in node.child_nodelists:
        nodelist = getattr(node, attr, None)
        if nodelist:
            try:
                setattr(node, attr, _written_in(nodelist, template))
            except AttributeError:  # a computed nodelist (a property): left as it is
                pass
