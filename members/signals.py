"""Signals members sends so that the apps above it can follow, without members importing them.

- branches_changed(branch_ids=[...]): members of these branches were added, moved, changed
  status or took/left a committee role, or a branch was created. Sent inside the write's
  transaction; receivers (education, appraisal figures) update their own branch rows there.
"""

from django.dispatch import Signal

branches_changed = Signal()
