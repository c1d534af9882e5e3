"""The template loader (branchsite.template_loader): one copy of each template per language,
its fixed texts written in, and every page the same as Django's cached loader renders it."""

import re

import pytest
from django.conf import settings
from django.template import loader
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from branchsite.template_loader import Loader

SOURCE = """{% load i18n static %}<p>{% translate "Log out" %}|\
{% translate "Close" context "dismiss" %}|\
{% blocktranslate %}Skip to content{% endblocktranslate %}|{% translate name %}|\
{% translate "Inbox" as inbox %}{{ inbox }}|{% translate "Inbox"|upper %}|\
{% language "en" %}{% translate "Log out" %}{% endlanguage %}|\
{% if flag %}{% translate "Inbox" %}{% else %}{% translate "Log out" %}{% endif %}|\
{% for i in items %}{% translate "Inbox" %}{% empty %}-{% endfor %}|\
{% autoescape off %}{% static "site.css" %}{% endautoescape %}|{% static "site.css" %}|\
{% blocktranslate count n=items|length %}{{ n }} member{% plural %}{{ n }} members\
{% endblocktranslate %}</p>"""


@pytest.fixture
def templates(tmp_path):
    (tmp_path / "sample.html").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "page.html").write_text(
        '{% extends "base_sample.html" %}{% load i18n %}'
        '{% block body %}{{ block.super }}+{% translate "Inbox" %}{% endblock %}',
        encoding="utf-8",
    )
    (tmp_path / "base_sample.html").write_text(
        '{% load i18n %}<b>{% block body %}{% translate "Log out" %}{% endblock %}</b>',
        encoding="utf-8",
    )

    def engine_settings(loader_name):
        options = {**settings.TEMPLATES[0]["OPTIONS"]}
        options["loaders"] = [
            (loader_name, ["django.template.loaders.filesystem.Loader"]),
        ]
        return [{**settings.TEMPLATES[0], "DIRS": [tmp_path], "OPTIONS": options}]

    return engine_settings


def render(template_name, language, /, **context):
    with translation.override(language):
        return loader.get_template(template_name).render(context)


def test_each_language_gets_its_own_texts_and_the_same_output_as_djangos_loader(templates):
    context = {"name": "Inbox", "flag": False, "items": [1, 2]}
    with override_settings(TEMPLATES=templates("django.template.loaders.cached.Loader")):
        djangos = {lang: render("sample.html", lang, **context) for lang in ("zh-hans", "en")}
    with override_settings(TEMPLATES=templates("branchsite.template_loader.Loader")):
        # Chinese, English, then Chinese again: no language's texts left in another's copy.
        ours = {lang: render("sample.html", lang, **context) for lang in ("zh-hans", "en")}
        assert render("sample.html", "zh-hans", **context) == ours["zh-hans"]
        [engine_loader] = loader.engines["django"].engine.template_loaders
        assert isinstance(engine_loader, Loader)
    assert ours == djangos
    assert ours["zh-hans"].startswith("<p>退出登录|关闭|跳至正文|消息|消息|")
    assert ours["en"].startswith("<p>Log out|Close|Skip to content|Inbox|Inbox|INBOX|")
    # {% language %} is the language at render time, not the one the copy was made in.
    assert "|Log out|" in ours["zh-hans"]


def test_variables_and_branches_still_render_per_request(templates):
    with override_settings(TEMPLATES=templates("branchsite.template_loader.Loader")):
        first = render("sample.html", "zh-hans", name="Log out", flag=True, items=[])
        second = render("sample.html", "zh-hans", name="Inbox", flag=False, items=[1])
    assert first.split("|")[3] == "退出登录" and second.split("|")[3] == "消息"
    assert first.split("|")[7] == "消息" and second.split("|")[7] == "退出登录"
    assert first.split("|")[8] == "-" and second.split("|")[8] == "消息"
    assert first.split("|")[-1].startswith("0") and second.split("|")[-1].startswith("1")


def test_blocks_and_block_super_are_written_in_per_language(templates):
    with override_settings(TEMPLATES=templates("branchsite.template_loader.Loader")):
        assert render("page.html", "zh-hans") == "<b>退出登录+消息</b>"
        assert render("page.html", "en") == "<b>Log out+Inbox</b>"


def test_static_urls_follow_the_settings(templates):
    with override_settings(TEMPLATES=templates("branchsite.template_loader.Loader")):
        before = render("sample.html", "en", items=[])
        with override_settings(STATIC_URL="/elsewhere/"):
            moved = render("sample.html", "en", items=[])
    assert moved.count("/elsewhere/site.css") == 2 and "/elsewhere/" not in before


@pytest.mark.django_db
def test_a_page_switches_language_with_the_member(client, cast):
    client.force_login(cast.member.account)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("my_record")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(reverse("my_record")).content.decode()
    assert ">Log out<" in english and "退出登录" not in english
    assert ">退出登录<" in chinese and ">Log out<" not in chinese
    assert re.search(r'lang="zh-hans"', chinese, re.I) and re.search(r'lang="en"', english)


def test_texts_as_written_where_no_language_is_active(templates):
    with override_settings(TEMPLATES=templates("branchsite.template_loader.Loader")):
        with translation.override(None):  # deactivate_all, as management commands may
            untranslated = loader.get_template("page.html").render({})
        chinese = render("page.html", "zh-hans")
    assert untranslated == "<b>Log out+Inbox</b>" and chinese == "<b>退出登录+消息</b>"


def test_only_tags_with_variables_filters_or_a_language_of_their_own_are_left(templates):
    from django.templatetags.i18n import BlockTranslateNode, TranslateNode
    from django.templatetags.static import StaticNode

    with override_settings(TEMPLATES=templates("branchsite.template_loader.Loader")):
        with translation.override("zh-hans"):
            compiled = loader.get_template("sample.html").template.nodelist
    # {% translate name %}, … as inbox, …|upper and the one inside {% language %}
    assert len(compiled.get_nodes_by_type(TranslateNode)) == 4
    # the counted one; the fixed one is text now
    assert len(compiled.get_nodes_by_type(BlockTranslateNode)) == 1
    assert compiled.get_nodes_by_type(StaticNode) == []
