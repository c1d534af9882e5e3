"""Shared set-up for the commendation tests (plain functions)."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from appraisal.commendations import services
from appraisal.commendations.models import CommendationTitle

REASON = "长期在网上传播正能量，撰写的评论文章被广泛转载。"


def pdf_file(name="事迹材料.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


def propose(cast, *, by="secretary", member=None, organization=None, awarding=None, **fields):
    """A proposal by the branch secretary for the member, awarded by committee C1."""
    if member is None and organization is None:
        member = cast.member
    values = {
        "title": CommendationTitle.POSITIVE_ONLINE_CONTENT,
        "reason": REASON,
        "awarded_on": date(2025, 6, 28),
        "awarding_organization": awarding or cast.c1,
        "documents": [pdf_file()],
    }
    values.update(fields)
    return services.commendation_propose(
        actor=cast.users[by], member=member, organization=organization, **values
    )


def publish(cast, commendation, *, by="organizer"):
    services.commendation_approve(actor=cast.users[by], commendation=commendation)
    return services.commendation_publish(actor=cast.users[by], commendation=commendation)


def published(member, organization):
    """A published commendation of `member` in `organization`, dated this year, straight in
    the table (no proposal, documents or history): for list and filter tests."""
    from django.utils import timezone

    from appraisal.commendations.models import Commendation

    return Commendation.objects.create(
        member=member,
        home_organization=organization,
        awarding_organization=organization,
        title=CommendationTitle.OUTSTANDING_MEMBER,
        reason=REASON,
        awarded_on=timezone.localdate().replace(month=6, day=1),
        status="published",
    )
