"""{{ member.full_name|pinyin_keys }}: the name's pinyin keys for the client-side name filter."""

from django import template

from members.pinyin import name_search_keys

register = template.Library()


@register.filter
def pinyin_keys(name):
    return name_search_keys(str(name or ""))
