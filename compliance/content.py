"""Content screening of one text against the rules staff keep in admin (R-CMP-01, 02, 04, 10, 11).

`content_screen` is the entry point (re-exported by compliance.services). The engine it runs
(compliance.screening.Engine) is compiled once per process from the active rules, brands, link
domains and allow-list, and compiled again when any of them changed: each change bumps the
"content" version counter in the same transaction (triggers of migration 0002_content_rules), and
every screening reads the counters first (one query, or none when the caller passes the
`Versions` it already read for the send). A screening that can see a change therefore also sees
its new counter, under which nothing was built yet, and rebuilds; counters never repeat, so an
engine built inside a rolled-back change is never used again.
"""
from __future__ import annotations

import logging
import threading

from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from smsportal.cache import Versions
from smsportal.errors import ApplicationError
from smsportal.message_types import MessageType

from .screening import PASS, Engine, Verdict, text_key

log = logging.getLogger("smsportal.compliance")

_lock = threading.Lock()
_engine: tuple[tuple, Engine] | None = None


def _shorteners() -> frozenset[str]:
    from antispam_link_shorteners import link_shorteners_list
    return frozenset(link_shorteners_list())


def content_engine_build() -> Engine:
    """A new engine from the active rows (about a second for the seeded rules)."""
    from .models import AllowListEntry, Brand, ContentRule, LinkDomain
    return Engine(
        rules=list(ContentRule.objects.filter(active=True)),
        brands=list(Brand.objects.filter(active=True)),
        link_domains=list(LinkDomain.objects.filter(active=True)),
        allow=list(AllowListEntry.objects.filter(active=True)),
        category_labels=dict(ContentRule.Category.choices),
        shorteners=_shorteners(),
    )


def content_engine_get(*, versions: Versions | None = None) -> Engine:
    """The process's engine for the current rules (rebuilt when the "content" counter moved)."""
    global _engine
    key = (versions or Versions()).key("content")
    current = _engine
    if current is not None and current[0] == key:
        return current[1]
    with _lock:
        if _engine is not None and _engine[0] == key:
            return _engine[1]
        engine = content_engine_build()
        _engine = (key, engine)
        log.info("content screening rules compiled (version %s)", key[1])
        return engine


def content_screen(*, client: Client | None, text: str, message_type: str = MessageType.SERVICE,
                   sender: str | None = None, channel: str = "sms", versions: Versions | None = None,
                   with_spans: bool = True, approved: bool = True) -> Verdict:
    """The verdict on one text (pass / refuse / review, reason code, category, matched spans):
    prohibited content (R-CMP-01) and review categories (R-CMP-02), links (shorteners, brands on
    domains not theirs), operator mentions (R-CMP-10), messengers in Viber texts, and for
    advertising (R-CMP-04, 11) the company's name (the client's name or the sender name) and a
    contact phone. `with_spans=False` skips locating the matched words (faster bulk refusals).
    A text staff approved for this client before passes instead of review (one query, only for a
    text that would be held); `approved=False` gives the rules' verdict alone (the review queue)."""
    engine = content_engine_get(versions=versions)
    names = []
    if client is not None:
        names += [client.name, getattr(client, "legal_name", "") or ""]
    if sender:
        names.append(sender)
    verdict = engine.screen(text, client_id=client.pk if client is not None else 0, message_type=message_type,
                            company_names=[n for n in names if n], channel=channel, with_spans=with_spans)
    if approved and client is not None and verdict.needs_review and approved_keys(client=client, texts=[text]):
        return APPROVED
    return verdict


# A held text staff approved for this client before (R-CMP-02): it passes.
APPROVED = Verdict(PASS, reason="approved_text")


def approved_keys(*, client: Client, texts) -> set[str]:
    """The keys (`text_key`) of `texts` staff approved for `client`, in one query."""
    from .models import ApprovedText
    keys = {text_key(t) for t in texts}
    if not keys or client is None or client.pk is None:
        return set()
    return set(ApprovedText.objects.filter(client_id=client.pk, key__in=keys).values_list("key", flat=True))


def approved_text_remember(*, client: Client, text: str, actor=None):
    """Staff approved `text` for `client` in the review queue: the same text (however spelled)
    passes screening at once from now on instead of being held (R-CMP-02). Idempotent: the first
    approval stays (who and when); audited `compliance.text.approved` when new."""
    from django.db import IntegrityError, transaction

    from accounts.services import audit_record

    from .models import ApprovedText
    key = text_key(text)
    existing = ApprovedText.objects.filter(client=client, key=key).first()
    if existing is not None:
        return existing
    approved_by = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            row = ApprovedText.objects.create(client=client, key=key, text=text, approved_by=approved_by)
            audit_record(code="compliance.text.approved", actor=actor, client=client,
                         target=f"approvedtext:{row.pk} {text[:100]}", details={"text": text[:500]})
    except IntegrityError:  # approved at the same moment by another staff member
        return ApprovedText.objects.get(client=client, key=key)
    return row


def approved_text_forget(*, client: Client, text: str, actor=None) -> bool:
    """The approval of `text` for `client` is withdrawn: it is held for review again. Audited."""
    from django.db import transaction

    from accounts.services import audit_record

    from .models import ApprovedText
    with transaction.atomic():
        deleted = ApprovedText.objects.filter(client=client, key=text_key(text)).delete()[0]
        if deleted:
            audit_record(code="compliance.text.approval_withdrawn", actor=actor, client=client,
                         target=text[:100], details={"text": text[:500]})
    return bool(deleted)


# ---------------------------------------------------------------------------------------------
# Staff changes of the screening configuration (admin): saved with an audit record each, which is
# their history (who changed what, the values before and after).

def _audit_code(obj, what: str) -> str:
    return f"compliance.{obj._meta.model_name}.{what}"


def content_config_save(*, obj, actor=None, changed_fields: list[str] | None = None, before: dict | None = None):
    """Saves a ContentRule, Brand, LinkDomain or AllowListEntry staff edited, with its audit
    record; the next screening in every process compiles the rules again (the table's trigger)."""
    from django.db import transaction

    from accounts.services import audit_record
    created = obj.pk is None
    with transaction.atomic():
        obj.full_clean()
        obj.save()
        fields = changed_fields if changed_fields is not None else [
            f.name for f in obj._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at")]
        after = {f: _plain(getattr(obj, f + "_id" if obj._meta.get_field(f).is_relation else f)) for f in fields}
        details = {"after": after}
        if before:
            details["before"] = {f: before.get(f) for f in fields}
        audit_record(code=_audit_code(obj, "created" if created else "changed"), actor=actor,
                     target=f"{obj._meta.model_name}:{obj.pk} {str(obj)[:120]}", details=details)
    return obj


def content_config_delete(*, obj, actor=None) -> None:
    from django.db import transaction

    from accounts.services import audit_record
    with transaction.atomic():
        snapshot = {f.name: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}
        target = f"{obj._meta.model_name}:{obj.pk} {str(obj)[:120]}"
        obj.delete()
        audit_record(code=_audit_code(obj, "deleted"), actor=actor, target=target, details={"before": snapshot})


def content_config_snapshot(obj) -> dict:
    """The field values of a configuration row as they are in the database now (for `before`)."""
    if obj.pk is None:
        return {}
    fresh = type(obj).objects.filter(pk=obj.pk).first()
    if fresh is None:
        return {}
    return {f.name: _plain(getattr(fresh, f.attname)) for f in fresh._meta.concrete_fields}


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def content_screen_many(*, client: Client | None, texts, message_type: str = MessageType.SERVICE,
                        sender: str | None = None, channel: str = "sms", versions: Versions | None = None,
                        with_spans: bool = True, approved: bool = True) -> list[Verdict]:
    """`content_screen` of many texts of one send (one text to many recipients, or personalized
    texts): the rules version is read once and a text that repeats is screened once. Texts staff
    approved for this client before pass instead of review: one query for every held text of the
    send (`approved=False`: the rules' verdicts alone)."""
    engine = content_engine_get(versions=versions)
    names = [n for n in ([client.name, getattr(client, "legal_name", "")] if client is not None else []) + [sender] if n]
    client_id = client.pk if client is not None else 0
    done: dict[str, Verdict] = {}
    out, order = [], []
    for text in texts:
        verdict = done.get(text)
        if verdict is None:
            verdict = done[text] = engine.screen(text, client_id=client_id, message_type=message_type,
                                                 company_names=names, channel=channel, with_spans=with_spans)
        out.append(verdict)
        order.append(text)
    held = [text for text, verdict in done.items() if verdict.needs_review]
    if held and client is not None and approved:
        # Texts staff approved for this client before pass (R-CMP-02): one query for the whole send.
        keys = approved_keys(client=client, texts=held)
        if keys:
            passing = {text for text in held if text_key(text) in keys}
            out = [APPROVED if text in passing else verdict for text, verdict in zip(order, out)]
    return out


class ContentRefused(ApplicationError):
    """A text screening refused (R-CMP-01, 04, 10): the API answers 400 `{"code": "content_refused",
    "detail": …, "category": …, "reason": …}`; the website shows the detail inline. Never a rule id."""

    code = "content_refused"
    status = 400
    default_detail = _("The text contains content that may not be sent.")

    @classmethod
    def from_verdict(cls, verdict: Verdict) -> "ContentRefused":
        return cls(verdict.detail or None, extra={"category": verdict.category, "reason": verdict.reason})


def content_assert_sendable(verdict: Verdict) -> Verdict:
    """Raises ContentRefused for a refused verdict; returns the verdict otherwise (pass, or review:
    the caller holds the message for staff with `verdict.reason`)."""
    if verdict.refused:
        raise ContentRefused.from_verdict(verdict)
    return verdict
