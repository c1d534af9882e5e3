"""Reads behind appraisal and commendation pages and exports.

Each function runs a fixed number of queries whatever the size of the branch (the pages'
query-count tests pin them at two data sizes).

The functions live in one module per use case; this package re-exports the public ones so
that other apps keep calling `appraisal.selectors.<name>`.
"""

from .ballot import (
    ballot_box,
    has_voted,
    non_voters,
    tally,
    turnout,
)
from .cycles import (
    cycle_moves,
    cycle_progress,
    cycle_years,
    cycles_with_progress,
    managed_cycle_ids,
    own_cycles,
    own_part,
    participants,
    rating_waiting,
)
from .meetings import (
    life_meetings,
    meeting_detail,
    own_rectifications,
)
from .papers import (
    open_items,
    packet,
    preparation,
    results_sheets,
)
from .participation import (
    leaders_above,
    own_self_assessment,
    peer_comments_about,
    peer_comments_released,
    peer_reviews_all,
    peer_reviews_by,
    self_assessment_rows,
    talks,
)
from .results import (
    approved_results,
    cycle_records,
    objections,
    rating_sheet,
    record_with_amendments,
)
from .sections import (
    dashboard_section,
    open_own_cycles,
    record_section,
)

__all__ = [
    "approved_results",
    "ballot_box",
    "cycle_moves",
    "cycle_progress",
    "cycle_records",
    "cycle_years",
    "cycles_with_progress",
    "dashboard_section",
    "has_voted",
    "leaders_above",
    "life_meetings",
    "managed_cycle_ids",
    "meeting_detail",
    "non_voters",
    "objections",
    "open_items",
    "open_own_cycles",
    "own_cycles",
    "own_part",
    "own_rectifications",
    "own_self_assessment",
    "packet",
    "participants",
    "peer_comments_about",
    "peer_comments_released",
    "peer_reviews_all",
    "peer_reviews_by",
    "preparation",
    "rating_sheet",
    "rating_waiting",
    "record_section",
    "record_with_amendments",
    "results_sheets",
    "self_assessment_rows",
    "talks",
    "tally",
    "turnout",
]
