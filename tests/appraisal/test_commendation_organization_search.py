"""The commendation list's organization filter: a select of every organization in reach while
they are few, a name search when there are too many (a whole province's committees)."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.commendations import filters
from members.models import OrganizationKind
from tests.appraisal.commendation_helpers import published
from tests.factories import make_member, make_org

URL = reverse("appraisal:commendation_list")


@pytest.fixture
def commended(cast):
    """One published commendation in each branch of the cast."""
    return {
        "branch": published(cast.member, cast.branch),
        "other_branch": published(cast.other_member, cast.other_branch),
        "far_branch": published(cast.far_member, cast.far_branch),
    }


@pytest.fixture
def many(monkeypatch):
    """Too many organizations in reach for a select: any reach of more than two."""
    monkeypatch.setattr(filters, "MAX_LISTED_ORGANIZATIONS", 2)


def _page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def _listed(page, commended):
    return {key for key, c in commended.items() if f"{c.member.full_name}" in page}


def _options(page):
    select = re.search(r'<select name="organization".*?</select>', page, re.S)
    return select and re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_few_organizations_are_a_select_of_every_one_in_reach(cast, login, commended):
    page = _page(login("organizer"))
    options = [option.strip("\u3000") for option in _options(page)[1:]]
    assert options == [cast.c1.name, cast.branch.name, cast.other_branch.name]
    assert 'name="organization_name"' not in page
    assert _listed(page, commended) == {"branch", "other_branch"}


def test_too_many_are_a_name_search_that_finds_the_one_named(cast, login, commended, many):
    client = login("organizer")
    page = _page(client)
    assert _options(page) is None
    assert re.search(r'<input type="search" name="organization_name"', page)
    assert _listed(page, commended) == {"branch", "other_branch"}

    page = _page(client, organization_name="第二支")  # part of a name: the only match
    assert _listed(page, commended) == {"other_branch"}
    assert f'name="organization" value="{cast.other_branch.pk}"' in page
    assert f'name="organization_name" value="{cast.other_branch.name}"' in page


def test_an_organization_chosen_by_link_shows_its_name_and_keeps_it(cast, login, commended, many):
    client = login("organizer")
    namesake = make_org(cast.branch.name, OrganizationKind.BRANCH, parent=cast.c1)
    page = _page(client, organization=cast.branch.pk)
    assert f'name="organization_name" value="{cast.branch.name}"' in page
    assert _listed(page, commended) == {"branch"}
    # Submitted again unchanged, the chosen one stays chosen though another has its name.
    page = _page(client, organization=cast.branch.pk, organization_name=cast.branch.name)
    assert _listed(page, commended) == {"branch"}
    assert f'name="organization" value="{cast.branch.pk}"' in page
    assert f"?organization={namesake.pk}" not in page


def test_several_matches_are_offered_to_choose_from(cast, login, commended, many):
    client = login("organizer")
    page = _page(client, organization_name="支部")
    assert "Several organizations have that name: choose one." in page
    assert _listed(page, commended) == set()
    links = re.findall(r'href="\?([^"]+)"', page.split('data-testid="organization-matches"')[1])
    chosen = []
    for query in links:
        response = client.get(f"{URL}?{unescape(query)}")
        chosen.append(sorted(_listed(response.content.decode(), commended)))
    assert sorted(chosen) == [["branch"], ["other_branch"]]
    # The committee's name holds no "支部": only the two branches are offered.
    assert len(links) == 2
    assert cast.far_branch.name not in page.split('data-testid="organization-matches"')[1]


def test_no_match_and_organizations_out_of_reach_find_nothing(cast, login, commended, many):
    client = login("organizer")
    for name in ("没有这个组织", cast.far_branch.name):
        page = _page(client, organization_name=name)
        assert "No organization you manage has that name." in page
        assert _listed(page, commended) == set()
        assert f'value="{cast.far_branch.pk}"' not in page


def test_an_empty_name_is_every_organization(cast, login, commended, many):
    page = _page(login("organizer"), organization=cast.branch.pk, organization_name="  ")
    assert _listed(page, commended) == {"branch", "other_branch"}


def test_the_search_costs_the_same_queries_as_the_select(cast, login, commended, monkeypatch):
    client = login("organizer")
    url = f"{URL}?organization={cast.branch.pk}"
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    select = count()
    monkeypatch.setattr(filters, "MAX_LISTED_ORGANIZATIONS", 2)
    search = count()
    for i in range(5):
        make_member(make_org(f"新支部{i}", OrganizationKind.BRANCH, parent=cast.c1), f"新人{i}")
    assert select == search == count()


def test_hostile_names_find_nothing_and_never_fail(cast, login, commended, many):
    client = login("organizer")
    for name in ("\x00", "支部\x00", "支" * 1000):
        page = _page(client, organization_name=name)
        assert _listed(page, commended) == set()
        message = re.search(r'<div class="invalid-feedback d-block">([^<]+)</div>', page)
        assert message.group(1) in (
            "No organization you manage has that name.",
            "Null characters are not allowed.",
        )
    for organization in ("²", "٣", "9" * 30, "-1"):
        assert client.get(URL, {"organization": organization}).status_code == 200


def test_a_parent_outside_the_reach_is_not_named(cast, login, commended, many):
    # The organizer's reach begins at C1: its parent (the root) is not theirs to see.
    page = _page(login("organizer"), organization_name="第")
    matches = page.split('data-testid="organization-matches"')[1].split("</section>")[0]
    assert cast.c1.name in matches and cast.root.name not in matches
    assert f"{cast.branch.name} <span" in matches and cast.c1.name in matches


def test_an_out_of_reach_organization_is_refused_with_a_message(cast, login, commended, many):
    page = _page(login("organizer"), organization=cast.far_branch.pk)
    assert _listed(page, commended) == set()
    assert 'class="col-12 invalid-feedback d-block"' in page


def test_a_name_beside_a_select_changes_nothing(cast, login, commended):
    page = _page(login("organizer"), organization=cast.branch.pk, organization_name="zzz")
    assert _listed(page, commended) == {"branch"}
    assert 'data-testid="organization-matches"' not in page
