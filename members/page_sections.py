"""Sections other apps add to a manager's page of a member (members:member_detail).

members imports none of the other apps, so each registers its sections here from its
`AppConfig.ready()`: `register(selector, template_name)`, where `selector(member)` returns the
partial's context, or None to leave the section out. Sections show in registration order.
"""

_sections = []


def register(selector, template_name):
    """Add a section to every member page (once, however often the app is readied)."""
    entry = (selector, template_name)
    if entry not in _sections:
        _sections.append(entry)


def sections_for(member):
    """[{"template": ..., "context": ...}] for the sections that have something to show."""
    sections = []
    for selector, template_name in _sections:
        context = selector(member)
        if context is not None:
            sections.append({"template": template_name, "context": context})
    return sections
