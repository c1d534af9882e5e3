"""Protection-case handlers are positions (Role.CASE_HANDLER): the migration moves every
former designation, with its dates, note and history, into a position; the role is validated
like the designation was; a handler position reaches cases only while its holder organizes
there."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from members.models import Position, Role
from members.protection import services
from members.protection.permissions import handler_paths
from tests.factories import make_member, make_position
from tests.migrating import every_app_at_its_latest_after, migrate

BEFORE = ("members", "0007_private_files_and_kept_case_records")
AFTER = ("members", "0008_case_handlers_become_positions")


@pytest.mark.django_db(transaction=True)
def test_migration_moves_designations_and_their_history_into_positions(cast):
    with every_app_at_its_latest_after():
        apps = migrate(BEFORE)
        Designation = apps.get_model("members", "CaseHandlerDesignation")
        HistoricalDesignation = apps.get_model("members", "HistoricalCaseHandlerDesignation")
        current = Designation.objects.create(
            member_id=cast.organizer.pk,
            organization_id=cast.c1.pk,
            started_on=date(2024, 3, 1),
            note="组织部指定",
        )
        ended = Designation.objects.create(
            member_id=cast.other_organizer.pk,
            organization_id=cast.c2.pk,
            started_on=date(2023, 1, 1),
            ended_on=date(2023, 12, 31),
        )
        HistoricalDesignation.objects.create(
            id=current.pk,
            member_id=cast.organizer.pk,
            organization_id=cast.c1.pk,
            started_on=date(2024, 3, 1),
            note="组织部指定",
            history_date=timezone.now(),
            history_type="+",
        )

        migrate(AFTER)

        handlers = Position.objects.filter(role=Role.CASE_HANDLER).order_by("started_on")
        assert [
            (p.member_id, p.organization_id, p.started_on, p.ended_on, p.note) for p in handlers
        ] == [
            (cast.other_organizer.pk, cast.c2.pk, date(2023, 1, 1), date(2023, 12, 31), ""),
            (cast.organizer.pk, cast.c1.pk, date(2024, 3, 1), None, "组织部指定"),
        ]
        moved = handlers.get(member=cast.organizer)
        assert [h.history_type for h in moved.history.all()] == ["+"]
        assert ended.pk  # both rows were read before the tables went
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        assert "members_casehandlerdesignation" not in tables


def test_only_an_organizer_reaching_a_committee_can_hold_the_role(cast):
    with pytest.raises(ValidationError) as not_organizer:
        Position(
            member=cast.secretary,
            organization=cast.c1,
            role=Role.CASE_HANDLER,
            started_on=timezone.localdate(),
        ).full_clean()
    assert "member" in not_organizer.value.error_dict
    with pytest.raises(ValidationError) as at_a_branch:
        Position(
            member=cast.organizer,
            organization=cast.branch,
            role=Role.CASE_HANDLER,
            started_on=timezone.localdate(),
        ).full_clean()
    assert "organization" in at_a_branch.value.error_dict


def test_a_handler_position_counts_while_it_lasts_and_its_holder_organizes(cast):
    handler = services.handler_designate(member=cast.organizer, organization=cast.c1)
    assert handler.role == Role.CASE_HANDLER
    assert handler_paths(cast.organizer.account) == (cast.c1.path,)

    handler.ended_on = timezone.localdate() - timedelta(days=1)
    handler.started_on = handler.ended_on
    handler.save()
    account = type(cast.organizer.account).objects.get(pk=cast.organizer.account_id)
    assert handler_paths(account) == ()

    # A new handler position, but the holder no longer organizes above the case's branch.
    newcomer = make_member(cast.far_branch, "孙立", account="newcomer")
    organizer_position = make_position(newcomer, cast.c1, Role.ORGANIZER)
    services.handler_designate(member=newcomer, organization=cast.c1)
    assert handler_paths(newcomer.account) == (cast.c1.path,)
    organizer_position.ended_on = timezone.localdate() - timedelta(days=1)
    organizer_position.save()
    account = type(newcomer.account).objects.get(pk=newcomer.account_id)
    assert handler_paths(account) == ()
