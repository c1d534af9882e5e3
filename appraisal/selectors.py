"""Reads behind appraisal and commendation pages and exports."""


def record_section(member, *, year):
    """Context for appraisal/_record_section.html on the member's record, or None."""
    return None


def commendation_record_section(member, *, year):
    """Context for appraisal/_commendation_record_section.html, or None."""
    return None


def dashboard_section(user, scope, *, year):
    """Context for appraisal/_dashboard_section.html on the home dashboard, or None."""
    return None
