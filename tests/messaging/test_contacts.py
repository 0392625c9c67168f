"""Contact groups: create, rename, delete, import with normalization, dedupe and per-row reports;
every write scoped to the client (R-CMP-12)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.models import Contact, ContactGroup
from messaging.services import (ContactError, contact_add, contact_delete, contact_group_create, contact_group_delete,
                                contact_group_rename, contacts_import)
from messaging.uploads import UploadError, upload_recipients, upload_save
from smsportal.errors import NotFound
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db):
    return make_client(name="Acme LLC")


@pytest.fixture
def other(db):
    return make_client(name="Other LLC")


def phones(group):
    return list(Contact.objects.filter(group=group).order_by("phone").values_list("phone", flat=True))


# --- groups -------------------------------------------------------------------------------------

def test_group_create_rename_delete(acme):
    group = contact_group_create(client=acme, name="  Loyal   customers ")
    assert group.name == "Loyal customers" and group.client == acme
    contact_add(client=acme, group_id=group.pk, phone="0671234567", name="Olha")
    group = contact_group_rename(client=acme, group_id=group.pk, name="VIP")
    assert ContactGroup.objects.get(pk=group.pk).name == "VIP"
    assert contact_group_delete(client=acme, group_id=group.pk) == 1
    assert not ContactGroup.objects.filter(pk=group.pk).exists() and not Contact.objects.exists()


def test_group_names_are_unique_per_client_ignoring_case(acme, other):
    contact_group_create(client=acme, name="VIP")
    with pytest.raises(ContactError, match="already have a group") as exc:
        contact_group_create(client=acme, name="vip")
    assert exc.value.code == "group_name_taken"
    contact_group_create(client=other, name="VIP")  # another client may use the name
    second = contact_group_create(client=acme, name="Others")
    with pytest.raises(ContactError, match="already have a group"):
        contact_group_rename(client=acme, group_id=second.pk, name="Vip")
    contact_group_rename(client=acme, group_id=second.pk, name="others")  # its own name in another case is fine


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_group_name_must_be_given_and_short(acme, name):
    with pytest.raises(ContactError):
        contact_group_create(client=acme, name=name)


def test_r_cmp_12_another_clients_group_and_contacts_are_out_of_reach(acme, other):
    theirs = contact_group_create(client=other, name="Their list")
    contact = contact_add(client=other, group_id=theirs.pk, phone="0671234567")
    with pytest.raises(NotFound):
        contact_group_rename(client=acme, group_id=theirs.pk, name="Mine now")
    with pytest.raises(NotFound):
        contact_group_delete(client=acme, group_id=theirs.pk)
    with pytest.raises(NotFound):
        contacts_import(client=acme, group_id=theirs.pk, rows=["0501234567"])
    with pytest.raises(NotFound):
        contact_add(client=acme, group_id=theirs.pk, phone="0501234567")
    with pytest.raises(NotFound):
        contact_delete(client=acme, contact_id=contact.pk)
    assert phones(theirs) == ["+380671234567"] and ContactGroup.objects.get(pk=theirs.pk).name == "Their list"


# --- contacts -------------------------------------------------------------------------------------

def test_contact_add_normalizes_and_refuses_bad_or_repeated_numbers(acme):
    group = contact_group_create(client=acme, name="G")
    contact = contact_add(client=acme, group_id=group.pk, phone="+38 (067) 123-45-67", name=" Olha ")
    assert (contact.phone, contact.name) == ("+380671234567", "Olha")
    with pytest.raises(ContactError, match="already in this group"):
        contact_add(client=acme, group_id=group.pk, phone="0671234567")
    with pytest.raises(ContactError, match="not a valid phone number"):
        contact_add(client=acme, group_id=group.pk, phone="12345")


def test_contact_delete(acme):
    group = contact_group_create(client=acme, name="G")
    contact = contact_add(client=acme, group_id=group.pk, phone="0671234567")
    contact_delete(client=acme, contact_id=contact.pk)
    assert phones(group) == []
    with pytest.raises(NotFound):
        contact_delete(client=acme, contact_id=contact.pk)


# --- import -----------------------------------------------------------------------------------

def test_import_normalizes_dedupes_and_reports_invalid_rows(acme):
    group = contact_group_create(client=acme, name="Customers")
    report = contacts_import(client=acme, group_id=group.pk, rows=[
        {"phone": "0671234567", "name": "Olha", "city": "Kyiv"},
        {"phone": "+380 67 123 45 67", "name": "Olha again"},  # the same number: counted, not stored twice
        {"phone": "12345", "name": "Bad"},
        {"phone": "", "name": "Empty"},
        {"phone": "380501234567", "name": "Ivan", "city": "Lviv", "code": 7},
        "+48 512 345 678",
    ])
    assert (report.rows, report.added, report.updated, report.duplicates, report.invalid) == (6, 3, 0, 1, 2)
    assert report.errors == [{"row": 3, "value": "12345", "reason": "not a valid phone number"},
                             {"row": 4, "value": "", "reason": "empty"}]
    assert phones(group) == ["+380501234567", "+380671234567", "+48512345678"]
    ivan = Contact.objects.get(group=group, phone="+380501234567")
    assert ivan.name == "Ivan" and ivan.variables == {"city": "Lviv", "code": "7"}


def test_import_again_updates_existing_contacts_instead_of_adding_twins(acme):
    group = contact_group_create(client=acme, name="Customers")
    contacts_import(client=acme, group_id=group.pk, rows=[{"phone": "0671234567", "name": "Olha"}])
    report = contacts_import(client=acme, group_id=group.pk, rows=[
        {"phone": "+380671234567", "name": "Olha Petrenko", "city": "Odesa"},
        {"phone": "0931234567", "name": "Taras"}])
    assert (report.added, report.updated) == (1, 1)
    olha = Contact.objects.get(group=group, phone="+380671234567")
    assert olha.name == "Olha Petrenko" and olha.variables == {"city": "Odesa"}
    assert Contact.objects.filter(group=group).count() == 2


def test_the_same_phone_may_be_in_two_groups(acme):
    first = contact_group_create(client=acme, name="A")
    second = contact_group_create(client=acme, name="B")
    contacts_import(client=acme, group_id=first.pk, rows=["0671234567"])
    assert contacts_import(client=acme, group_id=second.pk, rows=["0671234567"]).added == 1


def test_import_in_batches(acme, monkeypatch):
    monkeypatch.setattr("messaging.services.contacts.IMPORT_BATCH", 7)
    group = contact_group_create(client=acme, name="Big")
    rows = [f"067{n:07d}" for n in range(50)] + ["0670000003"]
    report = contacts_import(client=acme, group_id=group.pk, rows=rows)
    assert (report.added, report.duplicates) == (50, 1)


def test_import_is_all_or_nothing(acme):
    group = contact_group_create(client=acme, name="G")

    def rows():
        yield "0671234567"
        raise UploadError("The XLSX workbook is damaged and could not be read to the end.")

    with pytest.raises(UploadError):
        contacts_import(client=acme, group_id=group.pk, rows=rows())
    assert phones(group) == []


def test_import_from_an_uploaded_file(acme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    group = contact_group_create(client=acme, name="From file")
    name = upload_save(SimpleUploadedFile("list.csv", "Телефон;Ім'я;Місто\n0671234567;Олег;Київ\nnope;X;Y\n"
                                          .encode("cp1251")))
    report = contacts_import(client=acme, group_id=group.pk, rows=upload_recipients(name, 0))
    assert (report.added, report.invalid) == (1, 1)
    contact = Contact.objects.get(group=group)
    assert (contact.phone, contact.name, contact.variables) == ("+380671234567", "Олег", {"misto": "Київ"})
