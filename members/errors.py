"""The error every service raises when a use case is refused (importable from models too)."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A use case refused: carries a translated message for the user."""


def full_clean(obj):
    """obj.full_clean(), its ValidationError raised as the DomainError the pages know how to
    show (a DomainError raised by the model's own clean passes through as it is)."""
    try:
        obj.full_clean()
    except DomainError:
        raise
    except ValidationError as exc:
        raise DomainError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
