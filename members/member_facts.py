"""Facts about members (study hours, attendance) that one app supplies to another's pages.

The appraisal rating page shows what education knows of each member, and the two apps do not
import each other: education registers its source here from its `AppConfig.ready()`, appraisal
reads every registered source. `register(source)`, where `source(member_ids, year)` returns
{member_id: [(label, value), ...]} in one query.
"""

_sources = []


def register(source):
    """Add a source of facts (once, however often the app is readied)."""
    if source not in _sources:
        _sources.append(source)


def facts_for(member_ids, year):
    """{member_id: [(label, value), ...]} from every registered source, in registration order."""
    facts = {}
    for source in _sources:
        for member_id, items in source(member_ids, year).items():
            facts.setdefault(member_id, []).extend(items)
    return facts
