"""Configuring channels: a branch's group robots (save, remove, send a test message) and a
member's own channel order."""

import uuid

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ...models import Member
from ..models import PERSONAL_KINDS, BranchChannel, ChannelKind, ChannelPreference, Delivery
from .common import KIND_TEST, ChannelError, _robot_target, offered_group_kinds, url_prefixes
from .queueing import queue_delivery_sending

# --- settings ------------------------------------------------------------------------------


@transaction.atomic
def branch_channel_save(
    *, organization, kind: str, webhook_url: str, secret: str | None, is_enabled: bool, actor
) -> BranchChannel:
    """Set a branch's robot of this kind (secret None: keep the stored one). Saving clears a
    permanent failure: the secretary has looked at it."""
    if not organization.is_branch:
        raise ChannelError(_("Group robots are set per Party branch."))
    if kind not in offered_group_kinds():
        raise ChannelError(_("This service is not available on this site."))
    webhook_url = webhook_url.strip()
    if not any(webhook_url.startswith(p) for p in url_prefixes(kind)):
        raise ChannelError(
            _("The address must start with %(prefix)s.")
            % {"prefix": " / ".join(url_prefixes(kind))}
        )
    channel = BranchChannel.objects.select_for_update().filter(
        organization=organization, kind=kind
    ).first() or BranchChannel(organization=organization, kind=kind)
    if secret is not None:
        channel.secret = secret.strip()
    if kind == ChannelKind.WEBHOOK and not channel.secret:
        raise ChannelError(_("A signed webhook needs a secret to sign with."))
    channel.webhook_url = webhook_url
    channel.is_enabled = is_enabled
    channel.broken_at = None
    channel.broken_reason = ""
    channel.updated_by = actor if actor is not None and actor.is_authenticated else None
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def branch_channel_remove(*, channel: BranchChannel) -> None:
    """Forget a robot; what was queued for it fails with that reason, the log keeps it."""
    Delivery.objects.filter(
        branch_channel=channel, state__in=(Delivery.State.PENDING, Delivery.State.SENDING)
    ).update(state=Delivery.State.FAILED, last_error=_("The robot was removed."))
    channel.delete()


@transaction.atomic
def test_message_queue(*, channel: BranchChannel, actor) -> Delivery:
    """Queue a test message to this robot (sent by a worker, never by the request)."""
    with translation.override(settings.LANGUAGE_CODE):
        delivery = Delivery.objects.create(
            event_key=f"{KIND_TEST}|{channel.pk}|{uuid.uuid4().hex}",
            channel=channel.kind,
            target=_robot_target(channel.pk),
            organization_id=channel.organization_id,
            branch_channel=channel,
            kind=KIND_TEST,
            title=_("Test message from %(site)s") % {"site": _("branchsite")},
            body=_("This group will receive the notices of %(branch)s.")
            % {"branch": channel.organization.name},
            url=reverse("members:channel_settings", args=[channel.organization_id]),
        )
    transaction.on_commit(queue_delivery_sending)
    return delivery


@transaction.atomic
def channel_preference_save(*, member: Member, order: list[str]) -> ChannelPreference:
    """The member's own channels, first tried first; [] means the inbox only."""
    unknown = [c for c in order if c not in PERSONAL_KINDS]
    if unknown or len(set(order)) != len(order):
        raise ChannelError(_("Choose each channel at most once."))
    pref, _created = ChannelPreference.objects.update_or_create(
        member=member, defaults={"order": ",".join(order)}
    )
    return pref
