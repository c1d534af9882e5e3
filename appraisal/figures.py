"""Appraisal progress per organization and year (appraisal.models.OrganizationAppraisalFigures):
how many branches below opened their democratic appraisal cycle, and how many closed it (a
voided cycle counts for neither).

A branch's row is written by cycle_open / cycles_open_many / cycle_move (to closed) /
cycle_void in their transaction; ancestors follow through members.figures.propagate (task
appraisal.tasks.propagate_appraisal_figures).
"""

from django.db.models import Count, Q

from members import figures as base
from members.models import Organization, OrganizationKind

from .models.cycles import AppraisalCycle, Step
from .models.figures import OrganizationAppraisalFigures

MODEL = OrganizationAppraisalFigures


def compute(branch_ids, years):
    """{(branch_id, year): figures} from the cycles. One query."""
    return {
        (r["branch_id"], r["year"]): {"cycles": r["n"], "closed": r["c"]}
        for r in AppraisalCycle.objects.not_voided()
        .filter(branch_id__in=list(branch_ids), year__in=list(years))
        .values("branch_id", "year")
        .annotate(n=Count("pk"), c=Count("pk", filter=Q(step=Step.CLOSED)))
        .order_by()
    }


def _queue():
    from members.tasks_queue import enqueue

    from .tasks import propagate_appraisal_figures

    enqueue(propagate_appraisal_figures)  # a broker outage is logged; the beat sweep runs it later


def refresh_branches(branch_ids, years):
    """Recompute these branches' rows for these years, in the caller's transaction."""
    base.write_branch_rows(MODEL, branch_ids, compute, keys=list(years), queue=_queue)


def propagate():
    return base.propagate(MODEL)


def rebuild():
    """Every row from scratch, for every year with a cycle (one aggregate query)."""
    years = sorted(set(AppraisalCycle.objects.values_list("year", flat=True).distinct()))
    ids = list(
        Organization.objects.filter(kind=OrganizationKind.BRANCH).values_list("pk", flat=True)
    )
    values = {
        (r["branch_id"], r["year"]): {"cycles": r["n"], "closed": r["c"]}
        for r in AppraisalCycle.objects.not_voided()
        .values("branch_id", "year")
        .annotate(n=Count("pk"), c=Count("pk", filter=Q(step=Step.CLOSED)))
        .order_by()
    }
    MODEL.objects.exclude(year__in=years).delete()
    return base.rebuild(MODEL, values, keys=years, branch_ids=ids)


def figures_for(organization_ids, year):
    """{organization id: row} for these organizations and year. One query."""
    return {
        r.organization_id: r
        for r in MODEL.objects.filter(organization_id__in=list(organization_ids), year=year)
    }
