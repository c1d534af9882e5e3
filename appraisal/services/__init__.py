"""Every write that matters in appraisal/ (Art. 27): one function per use case, one transaction,
in one module per use case: import each from its module
(`from appraisal.services.moves import cycle_move`).

The cycle is a state machine: self-assessment → peer review → democratic ballot →
organizational rating → publicity → closed (publicity is skipped when the rules do not use it).
`cycle_move` is the only way forward; it refuses moves out of order, refuses a move whose hard
condition is unmet (an unapproved rating, unanswered objections), and lets a move whose step is
merely incomplete go ahead only with a written reason, which it records.
"""

from .. import permissions  # noqa: F401  (registers the appraisal permissions)
