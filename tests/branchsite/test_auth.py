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
    cast.member.account.email = cast.member.email
    cast.member.account.save()
    client.post(reverse("password_reset"), {"email": cast.member.email})
    assert len(mail.outbox) == 1
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
