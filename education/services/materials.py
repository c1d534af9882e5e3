"""Files handed out at a session."""

from django.db import transaction
from django.utils.translation import gettext as _

from members.services import DomainError, audit_log
from members.uploads import store_private_file

from ..models.sessions import Material, Session


@transaction.atomic
def material_add(*, session: Session, title: str, file, actor=None) -> Material:
    """Hand out a file at a session: checked by content, kept under a random name."""
    if not (title or "").strip():
        raise DomainError({"title": _("Give the material a title.")})
    return store_private_file(Material(session=session, title=title.strip()), file, actor=actor)


@transaction.atomic
def material_delete(*, material: Material, actor=None) -> None:
    audit_log(
        actor=actor, action="education.material.delete", obj=material.session, title=material.title
    )
    material.file.delete(save=False)
    material.delete()
