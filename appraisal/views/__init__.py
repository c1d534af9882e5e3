"""appraisal/ pages (Art. 27): thin — fetch within the user's reach, check, call one service.

Objects outside the user's reach are 404 (their existence is not disclosed); objects within
reach that the user may not act on are 403.

The functions live in one module per use case; this package re-exports the public ones so
that other apps keep calling `appraisal.views.<name>`.
"""

from .cycles import (
    CYCLE_LIST_PER_PAGE,
    cycle_detail,
    cycle_edit,
    cycle_list,
    cycle_move,
    cycle_open,
    cycle_void,
)
from .grading import (
    rating,
    rating_decide,
)
from .meetings import (
    meeting_create,
    meeting_detail,
    meeting_edit,
    meeting_list,
    meeting_void,
    rectification_done,
)
from .papers import (
    export_results,
    packet,
    prepare,
)
from .participation import (
    my_self_assessment,
    peer_reviews,
    self_assessment_detail,
    self_assessment_list,
    talk_list,
)
from .results import (
    objection_answer,
    publicity,
    record_detail,
)
from .voting import (
    ballot,
    paper_ballots,
    tally,
)

__all__ = [
    "CYCLE_LIST_PER_PAGE",
    "ballot",
    "cycle_detail",
    "cycle_edit",
    "cycle_list",
    "cycle_move",
    "cycle_open",
    "cycle_void",
    "export_results",
    "meeting_create",
    "meeting_detail",
    "meeting_edit",
    "meeting_list",
    "meeting_void",
    "my_self_assessment",
    "objection_answer",
    "packet",
    "paper_ballots",
    "peer_reviews",
    "prepare",
    "publicity",
    "rating",
    "rating_decide",
    "record_detail",
    "rectification_done",
    "self_assessment_detail",
    "self_assessment_list",
    "talk_list",
    "tally",
]
