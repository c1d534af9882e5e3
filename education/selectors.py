"""Reads behind education pages and exports; query counts independent of data size."""


def record_section(member, *, year):
    """Context for education/_record_section.html on the member's record, or None."""
    return None


def dashboard_section(user, scope, *, year):
    """Context for education/_dashboard_section.html on the home dashboard, or None."""
    return None


def member_year_facts(member_ids, year):
    """{member_id: [(label, value), ...]}: study hours and attendance for appraisal pages."""
    return {}
