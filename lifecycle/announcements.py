"""Announcements to clients (R-SVC-01, R-SVC-02, R-BILL-13; T 1.5, 3.3.1, 3.3.6).

Notice periods are calendar days on Kyiv dates (`smsportal.periods`): planned maintenance is
published at least 3 days before its start, with its start and end; a tariff or terms change at
least 7 days before it takes effect. A published notice is the promise clients rely on, so its
date cannot move closer afterwards (a new announcement is needed), and a tariff announcement
locks its price list (billing refuses new prices and an earlier start: `billing.services.notice`).

Publishing is one service: it checks the notice, marks the price list announced (billing's
own service), and after commit emails every active client in its language.
"""
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Client
from accounts.notify import client_emails, client_language, email_send, in_language
from accounts.services import audit_record
from billing.services.notice import tariff_announce
from smsportal.errors import ApplicationError
from smsportal.periods import kyiv_shift

from .models import Announcement

NOTICE_DAYS = {Announcement.Kind.MAINTENANCE: 3, Announcement.Kind.TARIFF: 7, Announcement.Kind.TERMS: 7}
SHOWN_AFTER_DAYS = 7  # a change stays on the banner a week after it took effect


class AnnouncementError(ApplicationError):
    code = "announcement_error"
    status = 409


def notice_earliest(kind: str, published_at=None):
    """The earliest start an announcement published at `published_at` (default now) may give."""
    return kyiv_shift(published_at or timezone.now(), days=NOTICE_DAYS[kind])


def _fmt(at) -> str:
    return f"{timezone.localtime(at):%d.%m.%Y %H:%M}"


def announcement_errors(a: Announcement) -> dict:
    """Field errors of an announcement about to be saved (`Announcement.clean`)."""
    errors = {}
    if a.kind == Announcement.Kind.MAINTENANCE:
        if not a.ends_at:
            errors["ends_at"] = gettext("Planned maintenance is announced with its start and end.")
        elif a.starts_at and a.ends_at <= a.starts_at:
            errors["ends_at"] = gettext("The end is after the start.")
    elif a.ends_at:
        errors["ends_at"] = gettext("Only maintenance has an end.")
    if a.kind == Announcement.Kind.TARIFF and not a.tariff_id:
        errors["tariff"] = gettext("Choose the price list this change announces.")
    if a.kind != Announcement.Kind.TARIFF and a.tariff_id:
        errors["tariff"] = gettext("Only a tariff change names a price list.")
    stored = Announcement.objects.filter(pk=a.pk).first() if a.pk else None
    if stored is not None and stored.published_at is not None:
        if a.kind != stored.kind or a.tariff_id != stored.tariff_id:
            errors["kind"] = gettext("A published announcement keeps its kind and price list.")
        if a.starts_at and a.starts_at < stored.starts_at:
            errors["starts_at"] = gettext(
                "Clients were told %(start)s: the date cannot move closer. Publish a new announcement.") % {
                "start": _fmt(stored.starts_at)}
    return errors


def announcement_publish(*, announcement_id: int, actor=None, now=None) -> Announcement:
    """Publishes the notice now: refused (`notice_too_short`) when it gives less than its notice
    period; a tariff change takes its price list's start and announces the list. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        a = Announcement.objects.select_for_update().get(pk=announcement_id)
        if a.published_at is not None:
            return a
        if a.kind == Announcement.Kind.TARIFF:
            if a.tariff is None:
                raise AnnouncementError(gettext("Choose the price list this change announces."), code="tariff_required")
            a.starts_at = a.tariff.valid_from
        earliest = notice_earliest(a.kind, now)
        if a.starts_at < earliest:
            raise AnnouncementError(gettext(
                "%(kind)s is announced at least %(days)s calendar days ahead: the start %(start)s is too soon; "
                "%(earliest)s or later.") % {
                "kind": a.get_kind_display(), "days": NOTICE_DAYS[a.kind], "start": _fmt(a.starts_at),
                "earliest": _fmt(earliest)}, code="notice_too_short")
        if a.kind == Announcement.Kind.TARIFF:
            tariff_announce(tariff_id=a.tariff_id, at=now, actor=actor)
        a.published_at, a.published_by = now, actor
        a.save(update_fields=["starts_at", "published_at", "published_by", "updated_at"])
        audit_record(code="lifecycle.announcement.published", actor=actor, target=str(a.public_id),
                     details={"kind": a.kind, "starts_at": a.starts_at.isoformat(), "title": a.title})
        announcement_id = a.pk
        transaction.on_commit(lambda: _email_later(announcement_id))
    return a


def _email_later(announcement_id: int) -> None:
    from .tasks import announcement_email_task  # noqa: PLC0415 (tasks import this module)

    announcement_email_task.delay(announcement_id)


def announcement_email(*, announcement_id: int) -> int:
    """Emails the notice to every active client once (idempotent: `emailed_at`)."""
    with transaction.atomic():
        a = Announcement.objects.select_for_update().get(pk=announcement_id)
        if a.published_at is None or a.emailed_at is not None:
            return 0
        a.emailed_at = timezone.now()
        a.save(update_fields=["emailed_at"])
    sent = 0
    for client in Client.objects.filter(status__in=[Client.Status.ACTIVE, Client.Status.DORMANT],
                                        is_system=False).order_by("pk"):
        emails = client_emails(client)
        if not emails:
            continue
        with in_language(client_language(client)):
            subject = gettext("%(kind)s: %(title)s") % {"kind": a.get_kind_display(), "title": a.title}
            when = (gettext("From %(start)s to %(end)s (Kyiv time).") % {"start": _fmt(a.starts_at), "end": _fmt(a.ends_at)}
                    if a.ends_at else gettext("Takes effect on %(start)s (Kyiv time).") % {"start": _fmt(a.starts_at)})
            body = f"{a.title}\n\n{when}\n\n{a.body}\n"
        sent += bool(email_send(emails, subject, body))
    return sent


def announcements_published(*, now=None):
    return Announcement.objects.filter(published_at__isnull=False, published_at__lte=now or timezone.now())


def announcements_current(*, now=None) -> list[Announcement]:
    """What the banner shows: published notices whose maintenance has not ended, or whose change
    takes effect in the future or took effect less than a week ago."""
    now = now or timezone.now()
    recent = kyiv_shift(now, days=-SHOWN_AFTER_DAYS)
    return list(announcements_published(now=now).filter(
        Q(ends_at__isnull=False, ends_at__gt=now) | Q(ends_at__isnull=True, starts_at__gt=recent)).order_by("starts_at"))
