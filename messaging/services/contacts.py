"""Contact groups: a client's saved recipient lists (personal data of the client, R-CMP-12).

Every function takes the client and scopes by it: another client's group or contact is as good
as absent (NotFound). A group holds a phone once (UniqueConstraint on group + phone): an import
upserts, so importing a file again updates names and variables instead of adding twins.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from smsportal.errors import ApplicationError, NotFound
from smsportal.phones import Recipient, parse_recipient, phone_reason_text

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from ..models import Contact, ContactGroup

IMPORT_BATCH = 5000
MAX_REPORTED = 100
MAX_VALUE_CHARS = 500


class ContactError(ApplicationError):
    code = "contact_error"


@dataclass
class ImportReport:
    rows: int = 0  # rows read
    added: int = 0  # new in the group
    updated: int = 0  # already in the group: name and variables replaced
    duplicates: int = 0  # the same phone again in this file
    invalid: int = 0
    errors: list[dict] = field(default_factory=list)  # the first {"row", "value", "reason"}

    def as_dict(self) -> dict:
        return {"rows": self.rows, "added": self.added, "updated": self.updated, "duplicates": self.duplicates,
                "invalid": self.invalid, "errors": self.errors}


def _group_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ContactError(gettext("Enter a name for the group."), code="group_name_empty")
    if len(name) > 200:
        raise ContactError("A group name has at most 200 characters.", code="group_name_too_long")
    return name


def _locked_group(client: Client, group_id) -> ContactGroup:
    group = ContactGroup.objects.select_for_update().filter(client=client, pk=group_id).first()
    if group is None:
        raise NotFound(gettext("No contact group with this id."))
    return group


def _name_taken(client: Client, name: str, exclude_pk=None) -> bool:
    return ContactGroup.objects.filter(client=client, name__iexact=name).exclude(pk=exclude_pk).exists()


def _taken(name: str) -> ContactError:
    return ContactError(gettext("You already have a group called “%(name)s”.") % {"name": name}, code="group_name_taken")


def contact_group_create(*, client: Client, name: str) -> ContactGroup:
    name = _group_name(name)
    if _name_taken(client, name):
        raise _taken(name)
    try:
        with transaction.atomic():
            return ContactGroup.objects.create(client=client, name=name)
    except IntegrityError:  # created meanwhile by another request
        raise _taken(name) from None


def contact_group_rename(*, client: Client, group_id, name: str) -> ContactGroup:
    name = _group_name(name)
    try:
        with transaction.atomic():
            group = _locked_group(client, group_id)
            if _name_taken(client, name, exclude_pk=group.pk):
                raise _taken(name)
            group.name = name
            group.save(update_fields=["name", "updated_at"])
            return group
    except IntegrityError:
        raise _taken(name) from None


def contact_group_delete(*, client: Client, group_id) -> int:
    """Deletes the group and its contacts; returns how many contacts went with it."""
    with transaction.atomic():
        group = _locked_group(client, group_id)
        removed, _ = Contact.objects.filter(group=group).delete()
        group.delete()
    return removed


def contact_add(*, client: Client, group_id, phone: str, name: str = "") -> Contact:
    parsed = parse_recipient(phone or "")
    if not isinstance(parsed, Recipient):
        raise ContactError(gettext("“%(value)s” is %(reason)s.") % {"value": phone, "reason": phone_reason_text(parsed)},
                           code="invalid_phone")
    with transaction.atomic():
        group = _locked_group(client, group_id)
        if Contact.objects.filter(group=group, phone=parsed.phone).exists():
            raise ContactError(f"{parsed.phone} is already in this group.", code="contact_exists")
        return Contact.objects.create(group=group, phone=parsed.phone, name=(name or "").strip()[:200])


def contact_delete(*, client: Client, contact_id) -> None:
    with transaction.atomic():
        deleted, _ = Contact.objects.filter(pk=contact_id, group__client=client).delete()
    if not deleted:
        raise NotFound(gettext("No contact with this id."))


def _text(value) -> str:
    return ("" if value is None else str(value)).strip()[:MAX_VALUE_CHARS]


def contacts_import(*, client: Client, group_id, rows: Iterable) -> ImportReport:
    """Adds rows (phones, or dicts with `phone`, optional `name` and other variables) to a group.

    Phones are normalized to E.164; bad rows are reported, never fail the import; a phone already
    in the group gets the new name and variables. All or nothing: one transaction.
    """
    report = ImportReport()
    seen: set[str] = set()
    with transaction.atomic():
        group = _locked_group(client, group_id)
        before = Contact.objects.filter(group=group).count()
        batch: list[Contact] = []
        for n, item in enumerate(rows, start=1):
            report.rows = n
            if isinstance(item, dict):
                raw, variables = item.get("phone"), item
            else:
                raw, variables = item, {}
            parsed = parse_recipient(_text(raw))
            if not isinstance(parsed, Recipient):
                report.invalid += 1
                if len(report.errors) < MAX_REPORTED:
                    report.errors.append({"row": n, "value": _text(raw)[:40], "reason": parsed})
                continue
            if parsed.phone in seen:
                report.duplicates += 1
                continue
            seen.add(parsed.phone)
            extra = {k: _text(v) for k, v in variables.items() if k not in ("phone", "name")}
            batch.append(Contact(group=group, phone=parsed.phone, name=_text(variables.get("name"))[:200],
                                 variables=extra))
            if len(batch) >= IMPORT_BATCH:
                _upsert(batch)
                batch = []
        if batch:
            _upsert(batch)
        after = Contact.objects.filter(group=group).count()
        if seen:
            group.save(update_fields=["updated_at"])
    report.added = after - before
    report.updated = len(seen) - report.added
    return report


def _upsert(contacts: list[Contact]) -> None:
    Contact.objects.bulk_create(contacts, update_conflicts=True, unique_fields=["group", "phone"],
                                update_fields=["name", "variables"])
