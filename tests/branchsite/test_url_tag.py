"""{% url %} (branchsite.url_tag): argument-free URLs reversed once, answers as Django's."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix


def render(source, **context):
    return Template(source).render(Context(context))


def test_urls_are_djangos_with_and_without_arguments_and_as_a_variable():
    assert render("{% url 'home' %}") == reverse("home")
    assert render("{% url 'home' %}") == reverse("home")  # the second from the table
    detail = reverse("members:member_detail", args=[7])
    assert render("{% url 'members:member_detail' 7 %}") == detail
    assert render("{% url 'home' as link %}[{{ link }}]") == f"[{reverse('home')}]"
    assert render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")


def test_a_script_prefix_gives_its_own_urls():
    plain = render("{% url 'home' %}")
    set_script_prefix("/branchsite/")
    try:
        assert render("{% url 'home' %}") == "/branchsite" + plain
    finally:
        set_script_prefix("/")
    assert render("{% url 'home' %}") == plain
