import pytest
from django.urls import reverse


@pytest.mark.parametrize("role", ["member", "secretary", "organizer", "admin"])
def test_home_renders_for_each_role(login, role):
    response = login(role).get(reverse("home"))
    assert response.status_code == 200


def test_anonymous_home_redirects_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
