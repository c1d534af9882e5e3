"""Protection-case handlers become positions (Role.CASE_HANDLER) held like any other role.

Every designation becomes a case-handler position with the same member, organization,
dates and note, and its history rows become that position's history; then the designation
tables go. Who may read a case is unchanged: a case-handler position counts while its
member still holds an organizer position reaching the organization.
"""

from django.db import migrations, models


def designations_to_positions(apps, schema_editor):
    Designation = apps.get_model("members", "CaseHandlerDesignation")
    HistoricalDesignation = apps.get_model("members", "HistoricalCaseHandlerDesignation")
    Position = apps.get_model("members", "Position")
    HistoricalPosition = apps.get_model("members", "HistoricalPosition")
    position_of = {}
    for d in Designation.objects.order_by("pk"):
        position_of[d.pk] = Position.objects.create(
            member_id=d.member_id,
            organization_id=d.organization_id,
            role="case_handler",
            started_on=d.started_on,
            ended_on=d.ended_on,
            note=d.note,
        ).pk
    for h in HistoricalDesignation.objects.order_by("history_id"):
        if h.id not in position_of:
            continue  # a designation deleted before: no position to attach its history to
        HistoricalPosition.objects.create(
            id=position_of[h.id],
            member_id=h.member_id,
            organization_id=h.organization_id,
            role="case_handler",
            started_on=h.started_on,
            ended_on=h.ended_on,
            note=h.note,
            history_date=h.history_date,
            history_change_reason=h.history_change_reason,
            history_type=h.history_type,
            history_user_id=h.history_user_id,
        )


def positions_to_designations(apps, schema_editor):
    Designation = apps.get_model("members", "CaseHandlerDesignation")
    Position = apps.get_model("members", "Position")
    HistoricalPosition = apps.get_model("members", "HistoricalPosition")
    handlers = Position.objects.filter(role="case_handler")
    for p in handlers.order_by("pk"):
        Designation.objects.create(
            member_id=p.member_id,
            organization_id=p.organization_id,
            started_on=p.started_on,
            ended_on=p.ended_on,
            note=p.note,
        )
    HistoricalPosition.objects.filter(role="case_handler").delete()
    handlers.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_private_files_and_kept_case_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalposition",
            name="note",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="position",
            name="note",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="historicalposition",
            name="role",
            field=models.CharField(
                choices=[
                    ("secretary", "Secretary"),
                    ("deputy_secretary", "Deputy secretary"),
                    ("committee_member", "Committee member"),
                    ("organization_officer", "Organization officer"),
                    ("publicity_officer", "Publicity officer"),
                    ("discipline_officer", "Discipline officer"),
                    ("group_leader", "Group leader"),
                    ("organizer", "Organization department staff"),
                    ("case_handler", "Protection case handler"),
                ],
                max_length=30,
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="role",
            field=models.CharField(
                choices=[
                    ("secretary", "Secretary"),
                    ("deputy_secretary", "Deputy secretary"),
                    ("committee_member", "Committee member"),
                    ("organization_officer", "Organization officer"),
                    ("publicity_officer", "Publicity officer"),
                    ("discipline_officer", "Discipline officer"),
                    ("group_leader", "Group leader"),
                    ("organizer", "Organization department staff"),
                    ("case_handler", "Protection case handler"),
                ],
                max_length=30,
                verbose_name="role",
            ),
        ),
        migrations.RunPython(designations_to_positions, positions_to_designations),
        migrations.RemoveField(
            model_name="historicalcasehandlerdesignation",
            name="history_user",
        ),
        migrations.RemoveField(
            model_name="historicalcasehandlerdesignation",
            name="member",
        ),
        migrations.RemoveField(
            model_name="historicalcasehandlerdesignation",
            name="organization",
        ),
        migrations.DeleteModel(
            name="CaseHandlerDesignation",
        ),
        migrations.DeleteModel(
            name="HistoricalCaseHandlerDesignation",
        ),
    ]
