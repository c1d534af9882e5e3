"""Form widgets written in Python: the HTML of Django's own widget templates, without
rendering a template per field and per option.

Filter forms sit on pages that are built on every request (roster, case list, commendation
list); Django renders each <input> through three templates and each <option> through two, which
was a large share of such a page's time. These give the same markup from format_html.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .row_html import html_rows


class LightSelect(forms.Select):
    """A <select>: the same HTML as forms.Select (option groups and option attributes
    included), without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = (
            (option["value"], flatatt(option["attrs"]) if option["attrs"] else "", option["label"])
            for _group, choices, _index in widget["optgroups"]
            for option in choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            format_html_join("", '<option value="{}"{}>{}</option>', options),
        )


class FlatSelect(LightSelect):
    """LightSelect's HTML, with the options written straight from the choices: building a
    context dict per option (Select.optgroups) was most of the time of a select of a whole
    tree's organizations (up to 200). Flat choices only (no groups), one value."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = self.format_value(value)[0]
        options = []
        for option_value, label in self.choices:
            option_value = str(option_value)
            is_selected = option_value == selected
            if is_selected:
                selected = None  # only the first match is selected, as Select does
            options.append(
                {
                    "value": option_value,
                    "selected": _SELECTED if is_selected else "",
                    "label": label,
                }
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            # A select of a tree's organizations has 200 options: html_rows, not format_html.
            html_rows('<option value="{value}"{selected}>{label}</option>', options),
        )


_SELECTED = mark_safe(" selected")


class LightInput:
    """Mixin: an <input>, the HTML of Django's input.html and attrs.html (attributes in
    order, True bare, False left out)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        attributes = (
            (key, "" if v is True else format_html('="{}"', v))
            for key, v in self.build_attrs(self.attrs, attrs).items()
            if v is not False
        )
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            self.input_type,
            name,
            format_html(' value="{}"', value) if value is not None else "",
            format_html_join("", " {}{}", attributes),
        )


class LightTextInput(LightInput, forms.TextInput):
    pass


class LightHiddenInput(LightInput, forms.HiddenInput):
    pass


class LightNumberInput(LightInput, forms.NumberInput):
    pass
