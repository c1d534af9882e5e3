"""Kept so that older imports keep working: actor_field lives in members.fields."""

from members.fields import actor_field

__all__ = ["actor_field"]
