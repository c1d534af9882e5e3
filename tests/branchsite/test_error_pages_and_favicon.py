"""The site's own 404, 403 and 500 pages, in Chinese and in its layout, and a favicon."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def _chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def test_404_is_the_sites_page_in_chinese(login):
    response = _chinese(login("member")).get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在，或您无权查看" in page
    assert 'class="navbar' in page and "张伟" in page  # the site's header, signed in
    assert reverse("home") in page


def test_403_is_the_sites_page_in_chinese(login):
    response = _chinese(login("member")).get(reverse("members:roster"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "您无权打开此页面" in page and 'class="navbar' in page


@pytest.mark.django_db
def test_500_renders_without_a_request_or_the_database(django_assert_num_queries):
    with translation.override("zh-hans"), django_assert_num_queries(0):
        page = render_to_string("500.html")
    assert "系统出现错误" in page
    assert "branchsite/site.css" in page and 'lang="zh-hans"' in page


def test_500_handler_answers_with_the_page():
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"navbar" in response.content


def test_every_page_links_the_icon_and_favicon_ico_answers(login, client):
    page = login("member").get(reverse("home")).content.decode()
    assert 'rel="icon"' in page and "branchsite/favicon.svg" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("branchsite/favicon.ico")
    assert client.get(response["Location"]).status_code == 200
