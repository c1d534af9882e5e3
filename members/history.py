"""Saving a row whose history is kept (DESIGN.md, "History": who, when, what)."""


def save_with_history(obj, actor, *, reason=None, update_fields=None):
    """Save `obj`, its history row naming `actor` as the one who changed it and, when given,
    `reason` as the change reason (simple_history keeps at most 100 characters of it).
    Returns `obj`."""
    obj._history_user = actor
    if reason:
        obj._change_reason = reason[:100]
    obj.save(update_fields=update_fields)
    return obj
