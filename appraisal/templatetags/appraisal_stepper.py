"""The one row of navigation of an appraisal cycle: the overview, then each step.

Steps done and the current one are links to their page (for whoever has a page there); steps
ahead are shown but are not links, so nothing opens only to send the user back.
"""

from django import template
from django.urls import reverse
from django.utils.translation import pgettext

from appraisal.models import Step

register = template.Library()


def _step_url(cycle, step, *, manages, takes_part):
    pk = cycle.pk
    if step == Step.SELF_ASSESSMENT:
        if manages:
            return reverse("appraisal:self_assessment_list", args=[pk])
        return reverse("appraisal:my_self_assessment", args=[pk]) if takes_part else None
    if step == Step.PEER_REVIEW:
        return reverse("appraisal:peer_reviews", args=[pk])
    if step == Step.BALLOT:
        if manages:
            return reverse("appraisal:tally", args=[pk])
        return reverse("appraisal:ballot", args=[pk]) if takes_part else None
    if step == Step.RATING:
        return reverse("appraisal:rating", args=[pk]) if manages else None
    # Publicity, and the closed cycle's records, are both on the publicity page.
    if manages or cycle.results_published:
        return reverse("appraisal:publicity", args=[pk])
    return None


@register.inclusion_tag("appraisal/_stepper.html")
def cycle_stepper(cycle, active="detail", manages=False, takes_part=False):
    """active: "detail" for the overview, else the step whose page this is."""
    items = [
        {
            "key": "detail",
            "label": pgettext("appraisal cycle page", "Overview"),
            "url": reverse("appraisal:cycle_detail", args=[cycle.pk]),
            "state": "overview",
            "number": "",
            "active": active == "detail",
        }
    ]
    n = 0
    for step in Step:
        if step == Step.PUBLICITY and not cycle.uses_publicity:
            continue
        n += 1
        reached = cycle.reached(step)
        state = "current" if cycle.step == step else "done" if reached else "ahead"
        if step == Step.CLOSED and cycle.is_closed:
            state = "done"
        url = _step_url(cycle, step, manages=manages, takes_part=takes_part) if reached else None
        items.append(
            {
                "key": step.value,
                # The last step is where the records are written: "归档", not "已结束",
                # which would read as done while it is still ahead.
                "label": pgettext("appraisal step", "Records")
                if step == Step.CLOSED
                else step.label,
                "url": url,
                "state": state,
                "number": n,
                "active": active == step.value,
            }
        )
    return {"items": items, "cycle": cycle}
