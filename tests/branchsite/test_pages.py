from django.urls import reverse


def test_member_dashboard_shows_own_summary(login):
    page = login("member").get(reverse("home")).content.decode()
    assert "张伟" in page and "第一支部" in page


def test_secretary_dashboard_shows_branch_counts(login, cast):
    from members.models import MemberStatus
    from tests.factories import make_member

    make_member(cast.branch, "新党员", status=MemberStatus.PROBATIONARY)
    home = login("secretary").get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("home_work")}"' in home  # the work part loads into home
    response = login("secretary").get(reverse("home_work"), HTTP_HX_REQUEST="true")
    (branch,) = response.context["led_branches"]
    assert (branch.n_active, branch.n_full, branch.n_probationary) == (5, 4, 1)
    assert [(p.role, p.member.full_name) for p in branch.leaders] == [
        ("secretary", "李娜"),
        ("committee_member", "刘洋"),
    ]
    page = response.content.decode()
    assert "第一支部" in page and "李娜" in page
    assert "远方支部" not in page


def test_organizer_dashboard_shows_organizations_below_with_counts(login):
    page = login("organizer").get(reverse("home_work")).content.decode()
    assert "第一支部" in page and "第二支部" in page
    assert "远方支部" not in page


def test_my_record_shows_own_details_positions_and_history(login, cast):
    from datetime import date

    from members import services

    services.member_transfer(
        member=cast.secretary,
        to_organization=cast.other_branch,
        transferred_on=date(2026, 3, 1),
        note="工作调动",
    )
    page = login("secretary").get(reverse("my_record")).content.decode()
    assert "李娜" in page
    assert "书记" in page  # the (now ended) position
    assert "第一支部 → 第二支部" in page and "工作调动" in page


def test_my_record_is_404_for_an_account_without_member(login):
    assert login("outsider").get(reverse("my_record")).status_code == 404


def test_my_record_requires_login(client, db):
    response = client.get(reverse("my_record"))
    assert response.status_code == 302


def test_my_record_defaults_to_chinese(login):
    page = login("member").get(reverse("my_record")).content.decode()
    assert "个人信息" in page or 'lang="zh-hans"' in page


def test_admin_home_overlooks_the_tree_from_its_roots(login, cast):
    assert "not linked" not in login("admin").get(reverse("home")).content.decode()
    response = login("admin").get(reverse("home_work"))
    roots = response.context["organizer_orgs"]
    assert [r.name for r in roots] == ["测试市委"]
    assert {c.name for c in roots[0].children_with_counts} == {"第一党委", "第二党委"}
