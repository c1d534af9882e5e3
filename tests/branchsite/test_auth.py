import re

from django.core import mail
from django.urls import reverse


def test_login_with_the_right_password(client, cast):
    response = client.post(reverse("login"), {"username": "member", "password": "pw-Test-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_failed_logins_are_throttled(client, cast):
    for _ in range(5):
        client.post(reverse("login"), {"username": "member", "password": "wrong"})
    # Locked out now, even with the right password.
    response = client.post(reverse("login"), {"username": "member", "password": "pw-Test-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_mail_that_lets_the_user_set_a_new_password(client, cast):
    # The address is the one on the member record; the login account's own e-mail is empty.
    assert cast.member.account.email == ""
    client.post(reverse("password_reset"), {"email": cast.member.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.member.email]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(
        form_url, {"new_password1": "Nw-pass-2026!", "new_password2": "Nw-pass-2026!"}
    )
    assert response.status_code == 302
    response = client.post(reverse("login"), {"username": "member", "password": "Nw-pass-2026!"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_password_change_page(login):
    client = login("member")
    assert client.get(reverse("password_change")).status_code == 200


def test_logout_is_post_only_and_ends_the_session(login):
    client = login("member")
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_language_switch_to_english(login):
    client = login("member")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in page


def test_password_reset_for_an_unknown_address_sends_nothing(client, cast):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer: no account is disclosed
    assert mail.outbox == []


def test_chinese_by_default_whatever_the_browser_asks(login):
    client = login("member")
    page = client.get(reverse("my_record"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in page.content.decode()
    assert "我的档案" in page.content.decode()


def test_inbox_link_only_for_accounts_with_a_member_record(login):
    assert reverse("members:inbox") not in login("admin").get(reverse("home")).content.decode()
    assert reverse("members:inbox") in login("member").get(reverse("home")).content.decode()
