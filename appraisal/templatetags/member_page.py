"""Sections the manager's page of a member (members:member_detail) shows from the record.

members/views.py may not import appraisal (arrows point one way), so the page pulls these in
through template tags: `{% load member_page %}{% member_commendations member %}`. Each tag
runs one query and renders nothing when there is nothing to show.
"""

from django import template
from django.template.loader import render_to_string

from appraisal.commendations.selectors import published_commendations
from members.protection.selectors import consented_clarifications

register = template.Library()


@register.simple_tag
def member_commendations(member):
    """Published commendations only (proposals and rejections stay in the workflow)."""
    commendations = published_commendations(member)
    if not commendations:
        return ""
    return render_to_string(
        "appraisal/_member_page_commendations.html", {"commendations": commendations}
    )


@register.simple_tag
def member_clarifications(member):
    """Clarifications the member agreed to show on their record; nothing else of a case."""
    clarifications = consented_clarifications(member)
    if not clarifications:
        return ""
    return render_to_string(
        "members/_protection_record_section.html", {"s": {"clarifications": clarifications}}
    )
