"""The secret ballot (README "Ballot secrecy"): the box, who took part, the counters."""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member

from .cycles import AppraisalCycle, Grade

# --- the secret ballot ---------------------------------------------------------------------


class BallotBox(models.Model):
    """The ballot of a cycle: when it opened and closed, and its paper ballots.

    Locked (select_for_update) by every cast, so two tabs of one voter are serialized and the
    second finds the first's participation row. Changes on no online vote.
    """

    cycle = models.OneToOneField(
        AppraisalCycle, on_delete=models.PROTECT, primary_key=True, related_name="ballot_box"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    paper_issued = models.PositiveIntegerField(_("paper ballots issued"), default=0)
    paper_entered = models.PositiveIntegerField(_("paper ballots entered"), default=0)

    class Meta:
        verbose_name = _("ballot box")
        verbose_name_plural = _("ballot boxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(paper_entered__lte=F("paper_issued")), name="ballot_paper_counted"
            )
        ]

    def __str__(self):
        return str(self.cycle)


class BallotParticipation(models.Model):
    """That a voter took part in a cycle's ballot (online or by a paper ballot) — nothing else.

    No timestamp, no sequential key (a random UUID), no link to any grade: the unique
    constraint is what makes "one ballot per voter" hold under concurrent submission.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="+")
    voter = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ballot participation")
        verbose_name_plural = _("ballot participations")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "voter"], name="ballot_one_per_voter"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.voter}"


class BallotCount(models.Model):
    """How many ballots gave one grade to one appraised member.

    Every row is created (at zero) when the ballot opens and only ever incremented with F(),
    so neither the rows nor their keys follow the order or time of voting.
    """

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=20, choices=Grade.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ballot count")
        verbose_name_plural = _("ballot counts")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member", "grade"], name="ballot_count_once"),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.member} · {self.grade}: {self.count}"
