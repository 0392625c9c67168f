"""Transactional Viber templates (R-VIB-05) and re-pricing of messages that did not match (R-BILL-10).

A client submits a template: fixed words with ``{placeholders}``. Viber decides; staff record the
decision in admin (new → under review → approved or rejected with a reason); the client gets an
email and sees the state on the "Viber templates" page. A transactional send must fill an
approved template: ``template_match`` finds it (a placeholder matches any non-empty run of text,
the rest must match exactly, whitespace-normalized).

When Viber reports transactional messages that did not match, staff re-charge them as
advertising (``viber_reprice_as_advertising``): billing debits the difference once per message
(``billing.services.reprice_viber_messages``); the message's ``ViberDetail.repriced_at`` records it
and the client is told by email.
"""
from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.notify import client_emails, client_language, email_send, in_language
from accounts.services import audit_record
from billing.services import RepriceItem, reprice_viber_messages
from smsportal.errors import ApplicationError, NotFound
from smsportal.money import money_text

from ..exceptions import MessagingError
from ..models import Message, ViberDetail, ViberTemplate
from .provider import ViberType

log = logging.getLogger("smsportal.messaging")

State = ViberTemplate.State
OPEN = (State.NEW, State.UNDER_REVIEW)
NAME_MAX = 100
TEXT_MAX = 1000

# Reasons staff pick from when Viber refuses a template (admin); free text may follow.
REJECT_REASONS = (
    gettext_lazy("Advertising content is not allowed in a transactional template."),
    gettext_lazy("The template is too generic: fix more of the words."),
    gettext_lazy("A placeholder stands for the whole message or its meaning."),
    gettext_lazy("The company sending the message is not named."),
    gettext_lazy("Links or phone numbers must be part of the fixed text."),
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SPACES = re.compile(r"\s+")


class ViberTemplateError(MessagingError):
    code = "template_invalid"


class TemplateNotFound(NotFound):
    code = "template_not_found"
    default_detail = gettext_lazy("No such Viber template.")


class TemplateStateError(ViberTemplateError):
    code = "template_state"
    status = 409


class TemplateInUse(ViberTemplateError):
    code = "template_in_use"
    status = 409


class TemplateDuplicate(ViberTemplateError):
    code = "template_duplicate"
    status = 409


def normalize(text: str) -> str:
    """Whitespace runs become one space; the ends are trimmed."""
    return _SPACES.sub(" ", text or "").strip()


# --- matching ---------------------------------------------------------------------------------

_COMPILED: dict[tuple[int, str], tuple[re.Pattern, int]] = {}


def template_regex(text: str) -> tuple[re.Pattern, int]:
    """The template as a regular expression over normalized text, and the length of its fixed
    words (the more fixed text, the more specific the template)."""
    text = normalize(text)
    pieces, fixed, last = [], 0, 0
    for m in _PLACEHOLDER.finditer(text):
        literal = text[last:m.start()]
        pieces.append(re.escape(literal))
        pieces.append(r".+?")
        fixed += len(literal)
        last = m.end()
    pieces.append(re.escape(text[last:]))
    fixed += len(text) - last
    return re.compile("".join(pieces), re.DOTALL), fixed


def _compiled(template_id: int, text: str) -> tuple[re.Pattern, int]:
    key = (template_id, text)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) > 10_000:
            _COMPILED.clear()
        found = _COMPILED[key] = template_regex(text)
    return found


def template_match(*, client, text: str) -> ViberTemplate | None:
    """The client's approved template that `text` fills, or None. With several, the one with the
    most fixed text. Each template is compiled to a regex once (per process and text)."""
    text = normalize(text)
    if not text:
        return None
    best, best_fixed = None, -1
    for template in ViberTemplate.objects.filter(client=client, state=State.APPROVED).order_by("created_at", "id"):
        pattern, fixed = _compiled(template.pk, template.text)
        if fixed > best_fixed and pattern.fullmatch(text):
            best, best_fixed = template, fixed
    return best


# --- the client's requests --------------------------------------------------------------------

def _check(name: str, text: str) -> tuple[str, str]:
    name, text = (name or "").strip(), (text or "").strip()
    if not name:
        raise ViberTemplateError(gettext("Give the template a name."), code="template_name_required")
    if len(name) > NAME_MAX:
        raise ViberTemplateError(gettext("The name is too long: at most %(max)d characters.") % {"max": NAME_MAX},
                                 code="template_name_too_long")
    if not text:
        raise ViberTemplateError(gettext("The template text is empty."), code="template_text_required")
    if len(text) > TEXT_MAX:
        raise ViberTemplateError(gettext("The text is too long: at most %(max)d characters.") % {"max": TEXT_MAX},
                                 code="text_too_long")
    placeholders = _PLACEHOLDER.findall(text)
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        raise ViberTemplateError(gettext("Braces must come in pairs around a placeholder name, like {order}."))
    if any(not re.fullmatch(r"\w{1,40}", p) for p in placeholders):
        raise ViberTemplateError(gettext("A placeholder is a name in braces, letters, digits or _ only, like "
                                         "{order}."))
    if not normalize(rest):
        raise ViberTemplateError(gettext("A template needs fixed words, not only placeholders."))
    if re.search(r"\}\s*\{", text):
        raise ViberTemplateError(gettext("Two placeholders need fixed text between them."))
    return name, text


def template_submit(*, client, name: str, text: str, actor=None) -> ViberTemplate:
    """A new template, waiting for Viber's decision (state `new`). The same text twice (not
    rejected) is refused with `template_duplicate` (409)."""
    name, text = _check(name, text)
    with transaction.atomic():
        same = [t for t in ViberTemplate.objects.select_for_update().filter(client=client).exclude(state=State.REJECTED)
                if normalize(t.text) == normalize(text)]
        if same:
            raise TemplateDuplicate(gettext("You already have this template: %(name)s.") % {"name": same[0].name})
        template = ViberTemplate.objects.create(client=client, name=name, text=text)
        audit_record(code="messaging.viber_template.submitted", actor=actor, client=client, target=name,
                     details={"template": str(template.public_id)})
    return template


def template_get(*, client, public_id) -> ViberTemplate | None:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return ViberTemplate.objects.filter(client=client, public_id=public_id).first()


def templates_for_client(*, client):
    return ViberTemplate.objects.filter(client=client).order_by("-created_at", "-id")


def template_delete(*, client, public_id, actor=None) -> None:
    """Deletes a template of the client; one that messages were sent with stays (409 `template_in_use`)."""
    with transaction.atomic():
        template = template_get(client=client, public_id=public_id)
        if template is None:
            raise TemplateNotFound()
        if ViberDetail.objects.filter(template=template).exists():
            raise TemplateInUse(gettext("Messages were sent with this template: it stays as their record."))
        name = template.name
        template.delete()
        audit_record(code="messaging.viber_template.deleted", actor=actor, client=client, target=name,
                     details={"template": str(public_id)})


# --- staff decisions --------------------------------------------------------------------------

def _notify(template: ViberTemplate) -> None:
    """Emails the client's owners about a decision (the page shows it too)."""
    client = template.client
    with in_language(client_language(client)):
        names = {"name": template.name}
        if template.state == State.APPROVED:
            subject = gettext("Viber template %(name)s approved") % names
            body = gettext("Your Viber template '%(name)s' is approved: transactional messages that fill it can "
                           "be sent now.") % names
        elif template.state == State.REJECTED:
            subject = gettext("Viber template %(name)s rejected") % names
            body = (gettext("Viber rejected your template '%(name)s'.") % names + "\n\n"
                    + gettext("Reason: %(reason)s") % {"reason": template.rejection_reason})
        else:
            subject = gettext("Viber template %(name)s under review") % names
            body = gettext("Your Viber template '%(name)s' was sent to Viber for review. We will write when Viber "
                           "decides.") % names
    email_send(client_emails(client), subject, body)


def _decide(*, template_id: int, state: str, actor, reason: str = "", allowed_from: tuple) -> ViberTemplate:
    with transaction.atomic():
        template = ViberTemplate.objects.select_for_update().select_related("client").filter(pk=template_id).first()
        if template is None:
            raise TemplateNotFound()
        if template.state == state:
            return template
        if template.state not in allowed_from:
            raise TemplateStateError(gettext("The template '%(name)s' is %(state)s: it cannot become %(new)s.") % {
                "name": template.name, "state": template.get_state_display().lower(),
                "new": State(state).label.lower()})
        template.state = state
        template.rejection_reason = reason
        if state in (State.APPROVED, State.REJECTED):
            template.decided_at = timezone.now()
            template.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        template.save(update_fields=["state", "rejection_reason", "decided_at", "decided_by", "updated_at"])
        audit_record(code=f"messaging.viber_template.{state}", actor=actor, client=template.client,
                     target=template.name, details={"template": str(template.public_id),
                                                    **({"reason": reason} if reason else {})})
        transaction.on_commit(lambda: _notify(template))
    return template


def template_mark_review(*, template_id: int, actor=None) -> ViberTemplate:
    """Staff sent the template to Viber."""
    return _decide(template_id=template_id, state=State.UNDER_REVIEW, actor=actor, allowed_from=(State.NEW,))


def template_approve(*, template_id: int, actor=None) -> ViberTemplate:
    return _decide(template_id=template_id, state=State.APPROVED, actor=actor, allowed_from=OPEN)


def template_reject(*, template_id: int, reason: str, actor=None) -> ViberTemplate:
    """Rejects an open template with the reason the client sees; a decided one is refused (409)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(gettext("A rejection needs a reason the client will see."), code="reason_required")
    with transaction.atomic():
        current = ViberTemplate.objects.select_for_update().filter(pk=template_id).values_list("state", flat=True).first()
        if current == State.REJECTED:
            raise TemplateStateError(gettext("This template is already rejected."))
        return _decide(template_id=template_id, state=State.REJECTED, actor=actor, reason=reason[:300],
                       allowed_from=OPEN)


# --- R-BILL-10: re-pricing transactional messages that did not match ----------------------------

@dataclass(frozen=True)
class RepriceResult:
    repriced: int           # messages re-charged now
    skipped: int            # not transactional, already re-priced, or never sent
    amount: Decimal         # debited in total (UAH)
    clients: int


_NOT_SENT = ("scheduled", "pending_review", "queued", "submitting", "refused", "failed", "cancelled")


def viber_reprice_as_advertising(*, message_ids, reason: str, actor=None) -> RepriceResult:
    """Re-charges these transactional Viber messages (`Message` ids) as advertising: billing debits
    the difference once per message; `repriced_at` is set; each client gets an email with the
    reason. Messages not transactional, not sent, or already re-priced are skipped."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(gettext("Say why the messages are re-priced: the client reads it."),
                               code="reason_required")
    ids = sorted({int(i) for i in message_ids})
    details = list(ViberDetail.objects.select_related("message", "message__client")
                   .filter(message_id__in=ids).order_by("message__client_id", "message_id"))
    eligible = [d for d in details if d.viber_type == ViberType.TRANSACTIONAL and d.repriced_at is None
                and d.message.status not in _NOT_SENT]
    skipped = len(ids) - len(eligible)
    by_client: dict[int, list[ViberDetail]] = {}
    for d in eligible:
        by_client.setdefault(d.message.client_id, []).append(d)
    total, done = Decimal("0"), 0
    for _client_id, group in by_client.items():
        client = group[0].message.client
        with transaction.atomic():
            locked = set(ViberDetail.objects.select_for_update().filter(
                message_id__in=[d.message_id for d in group], repriced_at__isnull=True).values_list("message_id",
                                                                                                  flat=True))
            group = [d for d in group if d.message_id in locked]
            if not group:
                continue
            items = [RepriceItem(message_id=str(d.message.public_id), charged=d.message.price.amount,
                                 sent_at=d.message.submitted_at or d.message.created_at, rate=d.rate) for d in group]
            entry = reprice_viber_messages(client=client, items=items, reason=reason, actor=actor)
            now = timezone.now()
            ViberDetail.objects.filter(message_id__in=[d.message_id for d in group]).update(repriced_at=now)
            amount = -entry.amount.amount if entry is not None else Decimal("0")
            audit_record(code="messaging.viber.repriced", actor=actor, client=client, target=str(len(group)),
                         details={"messages": [str(d.message.public_id) for d in group], "amount": str(amount),
                                  "reason": reason})
            count = len(group)
            transaction.on_commit(lambda c=client, n=count, a=amount: _notify_reprice(c, n, a, reason))
        total += amount
        done += len(group)
    return RepriceResult(repriced=done, skipped=skipped + (len(eligible) - done), amount=total,
                         clients=len(by_client))


def _notify_reprice(client, count: int, amount: Decimal, reason: str) -> None:
    with in_language(client_language(client)):
        subject = gettext("Viber messages re-charged as advertising")
        body = (ngettext("%(count)d transactional Viber message did not match an approved template and was "
                         "re-charged at the advertising price: %(amount)s UAH debited.",
                         "%(count)d transactional Viber messages did not match an approved template and were "
                         "re-charged at the advertising price: %(amount)s UAH debited.", count)
                % {"count": count, "amount": money_text(amount)}
                + "\n\n" + gettext("Reason: %(reason)s") % {"reason": reason})
    email_send(client_emails(client), subject, body)


def transactional_messages(*, client=None):
    """Transactional Viber messages (for staff's re-pricing list)."""
    qs = Message.objects.filter(channel="viber", viber__viber_type=ViberType.TRANSACTIONAL)
    return qs.filter(client=client) if client is not None else qs


__all__ = ["REJECT_REASONS", "RepriceResult", "TemplateDuplicate", "TemplateInUse", "TemplateNotFound",
           "TemplateStateError", "ViberTemplateError", "normalize", "template_approve", "template_delete",
           "template_get", "template_mark_review", "template_match", "template_regex", "template_reject",
           "template_submit", "templates_for_client", "transactional_messages", "viber_reprice_as_advertising"]
