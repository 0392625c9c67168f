"""Campaigns: bulk sends of up to 100,000 recipients, from the API, a file or a contact group.

Accepting has two phases. First the rows are read, checked, personalized, priced and routed —
no money moves, progress is saved on the campaign as it goes, and bad rows are kept as a report.
Then one transaction stores every message (COPY on PostgreSQL) and puts one hold on the wallet
for the whole campaign: either its price is reserved and the campaign complete, or nothing was
stored. The connectors capture the hold as messages reach the operator; what never does (failed,
expired before submit, cancelled) is released (messaging.services.money).
Immediate campaigns are stored `queued` and their connectors woken at commit (the "kick");
scheduled ones wait for the per-minute release job (R-MSG-03).
"""
from __future__ import annotations

import logging
from decimal import Decimal

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.services import AccountBlocked, audit_record, client_lock_for_send
from billing.exceptions import InsufficientFunds
from billing.services import HoldRef, hold_open, wallet_assert_can_pay
from compliance.services import content_assert_sendable, content_screen, message_type_check
from smsportal.celery import task_enqueue
from smsportal.db import commit_without_waiting_for_disk
from smsportal.errors import ApplicationError, NotFound

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from ..exceptions import InvalidRecipients, TooManyRecipients
from ..models import Campaign, Channel, ContactGroup, Message, MessageType
from ..status import Status, sources_for
from .prepare import check_text, message_type_check_value, prepare_rows, template_variables
from .send import connector_wake, messages_build, messages_insert, sender_check, ttl_check
from .transitions import messages_move
from .webhooks import callback_url_check

log = logging.getLogger("smsportal.messaging")
MAX_REPORTED_ERRORS = 1000


class CampaignError(ApplicationError):
    code = "campaign_error"


def campaign_create(*, client: Client, sender: str, text: str, name: str = "", source=Campaign.Source.API,
                    send_at=None, ttl: int | None = None, callback_url: str | None = None,
                    message_type: str = MessageType.SERVICE, total_rows: int = 0) -> Campaign:
    """A campaign waiting for its recipients; nothing is charged yet. `total_rows`: how many rows
    its file has, when known before they are read (the progress bar shows it from the start). `callback_url`: its messages'
    status webhooks go there instead of the client's webhook URL. `message_type`: service or
    advertising for all its messages (R-BILL-07); advertising needs a signed contract (R-CMP-11):
    refused here, before the campaign exists."""
    sender_check(client=client, sender=sender)
    message_type = message_type_check_value(message_type)
    message_type_check(client=client, message_type=message_type)
    if not template_variables(text or "") or not (text or "").strip():
        check_text(text)  # a template is checked per recipient, once filled
        # One text for every recipient: refused content refuses the campaign before it exists
        # (R-CMP-01); a template's texts are screened per recipient, once filled.
        content_assert_sendable(content_screen(client=client, text=text, message_type=message_type,
                                               sender=sender, with_spans=False))
    ttl = ttl_check(ttl)
    callback_url = callback_url_check(client=client, url=callback_url)
    return Campaign.objects.create(client=client, sender=sender, text=text, name=(name or "")[:200], source=source,
                                   send_at=send_at, ttl_seconds=ttl, callback_url=callback_url,
                                   message_type=message_type, total_rows=max(int(total_rows or 0), 0))


def _progress(campaign_id: int):
    def save(n: int) -> None:
        Campaign.objects.filter(pk=campaign_id).update(processed_rows=n, updated_at=timezone.now())
    return save


def campaign_accept(*, campaign: Campaign, rows, total_rows: int | None = None) -> Campaign:
    """Reads `rows` (phones, or dicts with `phone` and variables), then holds and stores at once.

    Raises InsufficientFunds or AccountBlocked (the campaign is marked failed, nothing stored or
    held) and InvalidRecipients when no row at all can be sent.
    """
    if campaign.state != Campaign.State.ACCEPTING:
        raise CampaignError(gettext("This campaign is %(state)s, not accepting recipients.")
                            % {"state": campaign.get_state_display().lower()})
    client = campaign.client
    if total_rows is not None:
        if total_rows > settings.SMSPORTAL_MAX_CAMPAIGN_RECIPIENTS:
            _fail(campaign, f"At most {settings.SMSPORTAL_MAX_CAMPAIGN_RECIPIENTS:,} recipients per campaign.")
            raise TooManyRecipients(
                gettext("At most %(max)s recipients in one campaign (%(given)s given).")
                % {"max": number_format(settings.SMSPORTAL_MAX_CAMPAIGN_RECIPIENTS, force_grouping=True),
                   "given": number_format(total_rows, force_grouping=True)})
        Campaign.objects.filter(pk=campaign.pk).update(total_rows=total_rows)
    if campaign.channel == Channel.VIBER:
        return _viber_accept(campaign, rows)
    try:
        message_type_check(client=client, message_type=campaign.message_type)  # again: files are read later
        prepared = prepare_rows(client=client, text=campaign.text, rows=rows, progress=_progress(campaign.pk),
                                sender=campaign.sender, message_type=campaign.message_type,
                                send_at=campaign.send_at)
    except ApplicationError as exc:
        _fail(campaign, exc.detail)
        raise
    n_rows = len(prepared.rows) + len(prepared.invalid) + len(prepared.refused) + prepared.duplicates
    report = (prepared.invalid + [{k: v for k, v in r.items() if k not in ("text", "content")}
                                  for r in prepared.refused[:MAX_REPORTED_ERRORS]])[:MAX_REPORTED_ERRORS]
    counts = {"total_rows": n_rows, "processed_rows": n_rows, "accepted": len(prepared.rows),
              "invalid": len(prepared.invalid), "duplicates": prepared.duplicates,
              "refused": len(prepared.refused), "errors": report}
    if not prepared.rows:
        _fail(campaign, "No recipient in the list can receive SMS.", **counts)
        raise InvalidRecipients("No recipient in the list can receive SMS.", extra={"invalid": report[:100]})

    now = timezone.now()
    # The wanted time (or now), moved to the next opening of the sending window (R-CMP-07).
    send_at = prepared.send_at if prepared.send_at > now else now
    scheduled = send_at > now
    messages = messages_build(client=client, prepared=prepared, sender=campaign.sender,
                              batch_id=campaign.public_id, campaign=campaign, is_bulk=True,
                              status=Status.SCHEDULED if scheduled else Status.QUEUED, send_at=send_at,
                              ttl=campaign.ttl_seconds or settings.SMSPORTAL_DEFAULT_TTL)
    try:
        wallet_assert_can_pay(client=client, amount=prepared.total)  # before storing 100,000 rows for nothing
        with transaction.atomic():
            # Its commit writes the whole campaign to the log: the wallet row (locked by the hold
            # below) is not kept locked while that reaches the disk; this waits for it after.
            commit_without_waiting_for_disk()
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if locked.state != Campaign.State.ACCEPTING:
                raise CampaignError("This campaign was cancelled while its recipients were read.")
            messages_insert(messages)
            # A block while the rows were read (R-ACC-06): checked again under the client row's
            # lock, so either the block waits for this commit and cancels these messages, or
            # this sees it and stores nothing (the hold below is never taken).
            client_lock_for_send(client)
            # One hold for the whole campaign, taken last: the wallet row stays locked only for
            # the rest of this transaction, not while its rows are copied in (connectors capture
            # from the same wallet meanwhile).
            if prepared.total > 0:
                hold_open(client=client, reference=HoldRef("campaign", campaign.public_id), amount=prepared.total,
                          description=f"Campaign {campaign.name or campaign.public_id}: {len(prepared.rows)} SMS")
            state = Campaign.State.SCHEDULED if scheduled else Campaign.State.SENDING
            moved = {"send_at": send_at} if prepared.schedule_reason else {}
            Campaign.objects.filter(pk=campaign.pk).update(state=state, total_price=Money(prepared.total, "UAH"),
                                                           updated_at=now, **moved, **counts)
            if not scheduled:
                for route_id in sorted({r.route.pk for r in prepared.rows if r.review is None}):
                    connector_wake(route_id)
    except (InsufficientFunds, AccountBlocked) as exc:
        _fail(campaign, exc.detail, **counts)
        raise
    log.info("campaign %s accepted: %s messages, %s UAH", campaign.public_id, len(prepared.rows), prepared.total)
    campaign.refresh_from_db()
    return campaign


def _viber_accept(campaign: Campaign, rows) -> Campaign:
    """A Viber campaign's rows, on the Viber accept rules (messaging.viber.campaigns)."""
    from ..viber.campaigns import viber_campaign_accept  # noqa: PLC0415

    try:
        fields = viber_campaign_accept(campaign=campaign, rows=rows, progress=_progress(campaign.pk),
                                       fail=lambda detail, **counts: _fail(campaign, detail, **counts))
    except ApplicationError as exc:
        _fail(campaign, str(exc.detail))
        raise
    log.info("viber campaign %s accepted: %s messages", campaign.public_id, fields["accepted"])
    campaign.refresh_from_db()
    return campaign


def _fail(campaign: Campaign, detail: str, **fields) -> None:
    Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.ACCEPTING).update(
        state=Campaign.State.FAILED, error_detail=detail[:300], finished_at=timezone.now(),
        updated_at=timezone.now(), **fields)
    campaign.refresh_from_db()


def campaign_cancel(*, client: Client, public_id, actor=None) -> Campaign:
    """Cancels what was not submitted yet (its messages `cancelled`, with their webhook events) and
    releases its reservation."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(client=client, public_id=public_id).first()
        if campaign is None:
            raise NotFound(gettext("No campaign with this id."))
        if campaign.state in (Campaign.State.DONE, Campaign.State.CANCELLED, Campaign.State.FAILED):
            raise CampaignError(gettext("This campaign is already %(state)s.") % {"state": campaign.get_state_display().lower()},
                                code="campaign_finished")
        now = timezone.now()
        # Through the status door, as a block's or a termination's cancel: `cancelled` webhook
        # events are written, and billing releases what was reserved for these messages from the
        # campaign's hold. Rows a connector claimed meanwhile are no longer waiting and stay as
        # they are.
        waiting = Message.objects.filter(campaign=campaign, status__in=sources_for(Status.CANCELLED)).order_by("pk")
        cancelled = messages_move(ids=waiting.values_list("pk", flat=True), new=Status.CANCELLED,
                                  error_code="cancelled", now=now)
        refund = sum((Decimal(row[4]) for row in cancelled), Decimal("0"))
        campaign.state = Campaign.State.CANCELLED
        campaign.finished_at = now
        campaign.save(update_fields=["state", "finished_at", "updated_at"])
        audit_record(code="messaging.campaign.cancelled", actor=actor, client=client, target=str(campaign.public_id),
                     details={"refund": str(refund)})
    return campaign


OPEN_STATES = (Status.SCHEDULED, Status.QUEUED, Status.SUBMITTING, Status.PENDING_REVIEW)


def _settle(campaign: Campaign, now) -> bool:
    """Done when nothing is left to submit (True); a scheduled one whose time came is sending."""
    if not Message.objects.filter(campaign=campaign, status__in=OPEN_STATES).exists():
        return bool(Campaign.objects.filter(pk=campaign.pk, state=campaign.state).update(
            state=Campaign.State.DONE, finished_at=now, updated_at=now))
    if campaign.state == Campaign.State.SCHEDULED and not Message.objects.filter(
            campaign=campaign, status=Status.SCHEDULED).exists():
        Campaign.objects.filter(pk=campaign.pk, state=campaign.state).update(state=Campaign.State.SENDING,
                                                                             updated_at=now)
    return False


def campaigns_settle(*, now=None) -> int:
    """Campaigns with nothing left to submit are done (receipts keep updating their counts)."""
    now = now or timezone.now()
    done = 0
    for campaign in Campaign.objects.filter(state__in=[Campaign.State.SENDING, Campaign.State.SCHEDULED]):
        done += _settle(campaign, now)
    return done


def campaign_settle(*, campaign: Campaign, now=None) -> Campaign:
    """campaigns_settle for one campaign, at once: the campaign page calls it when its counts show
    nothing left to submit, so it says "Done" without waiting for the per-minute job (and the
    receipts' hot path pays nothing for it). A no-op for a campaign not sending or scheduled."""
    if campaign.state in (Campaign.State.SENDING, Campaign.State.SCHEDULED) and _settle(campaign,
                                                                                         now or timezone.now()):
        campaign.refresh_from_db()
    return campaign


def campaign_start(*, client: Client, sender: str, text: str, name: str = "", source=Campaign.Source.API,
                   send_at=None, ttl: int | None = None, callback_url: str | None = None,
                   message_type: str = MessageType.SERVICE, rows=None, group_id: int | None = None,
                   upload: tuple[str, int, int] | None = None, viber=None) -> Campaign:
    """Creates a campaign and gives it its recipients, for the website and the API alike.

    One source: `rows` (phones or `{"phone": …, <variable>: …}` objects) are accepted at once and
    the campaign comes back scheduled or sending; a contact group (`group_id`) or a stored file
    (`upload` = (path, phone column, rows)) is read by a worker after this transaction commits
    and the campaign comes back accepting. A refusal before the campaign exists (sender, type,
    text, lifetime) raises; a refusal of its recipients (funds, every row bad) raises too, with
    the failed campaign as `exc.campaign`. `viber`: a `ViberRequest` (sender, text, lifetime, send
    time and Viber content) for a Viber campaign; `sender`, `text`, … are then ignored."""
    if group_id is not None and not ContactGroup.objects.filter(client=client, pk=group_id).exists():
        raise NotFound(gettext("No contact group with this id."))
    if viber is not None:  # a messaging.viber.service.ViberRequest: a Viber campaign
        from ..viber.campaigns import viber_campaign_create  # noqa: PLC0415

        campaign = viber_campaign_create(client=client, request=viber, name=name, source=source,
                                         callback_url=callback_url, total_rows=upload[2] if upload else 0)
    else:
        campaign = campaign_create(client=client, sender=sender, text=text, name=name, source=source,
                                   send_at=send_at, ttl=ttl, callback_url=callback_url, message_type=message_type,
                                   total_rows=upload[2] if upload else 0)
    if group_id is not None:
        task_enqueue("messaging.campaign_accept_group", campaign.pk, group_id)
        return campaign
    if upload is not None:
        path, phone_column, total_rows = upload
        task_enqueue("messaging.campaign_accept_upload", campaign.pk, path, phone_column, total_rows)
        return campaign
    try:
        return campaign_accept(campaign=campaign, rows=rows or [], total_rows=len(rows or []))
    except ApplicationError as exc:
        exc.campaign = campaign
        raise

