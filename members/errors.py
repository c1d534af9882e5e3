"""The error every service raises when a use case is refused (importable from models too)."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A use case refused: carries a translated message for the user."""
