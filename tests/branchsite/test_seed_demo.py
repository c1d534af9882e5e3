import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from members.models import Member, Organization, OrganizationKind
from members.permissions import scope_for


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Member.objects.exists()


def test_seed_demo_builds_the_demo_once_with_debug_on_or_forced_and_sends_no_real_mail(
    db, settings, tmp_path
):
    from django.core import mail

    settings.MEDIA_ROOT = tmp_path  # demo evidence files must not land in the work tree
    settings.DEMO_PASSWORD = "demo-pass-1"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # would fail if used
    settings.DEBUG = True  # `make run`
    call_command("seed_demo")
    counts = (Member.objects.count(), Organization.objects.count())
    settings.DEBUG = False  # a production-like server, on purpose
    call_command("seed_demo", "--force")
    assert (Member.objects.count(), Organization.objects.count()) == counts
    assert 55 <= counts[0] <= 70
    assert Organization.objects.filter(kind=OrganizationKind.BRANCH).count() == 4
    assert Organization.objects.filter(kind=OrganizationKind.GENERAL_BRANCH).count() == 1
    User = get_user_model()
    for username in ("admin", "organizer", "secretary", "member"):
        assert User.objects.get(username=username).check_password("demo-pass-1")
    assert scope_for(User.objects.get(username="secretary")).is_branch_leader
    assert scope_for(User.objects.get(username="organizer")).is_organizer
    member_scope = scope_for(User.objects.get(username="member"))
    assert not member_scope.is_branch_leader and not member_scope.is_organizer
    assert isinstance(mail.outbox, list)
