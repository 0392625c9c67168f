"""The website's campaign and contact pages: the two-step new campaign (file, pasted numbers,
contact group), review and estimate, the accept tasks, detail with live progress, cancel with
refund, contacts, and tenant isolation (R-CMP-12)."""
import csv
import datetime
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.models import LedgerEntry
from billing.selectors import wallet_get
from messaging.campaign_tasks import campaign_accept_group_task, campaign_accept_upload_task
from messaging.models import Campaign, Contact, ContactGroup, Message
from messaging.services import campaign_accept, campaign_create, contact_group_create, contacts_import
from messaging.status import Status
from messaging.uploads import upload_dir, upload_save
from tests.factories import SenderNameFactory, UserFactory, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def balance(client):
    """What the client can spend: a campaign holds its price at accept (R-BILL-14)."""
    return wallet_get(client=client).available.amount


def csv_file(rows, name="recipients.csv", header=("phone", "name")):
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def xlsx_file(rows, name="recipients.xlsx"):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def step1(web, **data):
    """Posts the new-campaign form; returns the response (a redirect to the review when valid)."""
    form = {"name": "Spring sale", "sender": "TestShop", "text": "Sale -20% today", "source": "paste",
            "numbers": "", "send_at": "", "ttl": "86400"} | data
    return web.post(reverse("campaign_new"), form)


def review_url(response):
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    return response["Location"]


def confirm(web, url, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Campaign.objects.get(public_id=response["Location"].rstrip("/").split("/")[-1]), response


def other_campaign():
    other = make_client(name="Other LLC", balance=50)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    campaign = campaign_create(client=other, sender="OtherShop", text="secret", name="Theirs")
    return campaign_accept(campaign=campaign, rows=["0501112233", "12345"])


# --- access ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["campaign_list", "campaign_new", "contact_groups"])
def test_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_staff_without_client_goes_to_admin(client):
    client.force_login(UserFactory(is_staff=True))
    for name in ("campaign_list", "campaign_new", "contact_groups"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_r_cmp_12_another_clients_campaign_is_a_404(web):
    theirs = other_campaign()
    for name in ("campaign_detail", "campaign_progress", "campaign_errors_csv"):
        assert web.get(reverse(name, args=[theirs.public_id])).status_code == 404
    assert web.post(reverse("campaign_cancel", args=[theirs.public_id])).status_code == 404
    assert Campaign.objects.get(pk=theirs.pk).state == Campaign.State.SENDING
    response = web.get(reverse("campaign_list"))
    assert "Theirs" not in response.content.decode()


def test_r_cmp_12_another_clients_group_is_a_404(web):
    other = make_client(name="Other LLC")
    theirs = contact_group_create(client=other, name="Their customers")
    contacts_import(client=other, group_id=theirs.pk, rows=["0671234567"])
    contact = Contact.objects.get(group=theirs)
    assert web.get(reverse("contact_group", args=[theirs.pk])).status_code == 404
    for name, args in [("contact_group_rename", [theirs.pk]), ("contact_group_delete", [theirs.pk]),
                       ("contact_add", [theirs.pk]), ("contact_import", [theirs.pk]),
                       ("contact_delete", [theirs.pk, contact.pk])]:
        assert web.post(reverse(name, args=args), {"name": "x", "phone": "0501234567"}).status_code == 404
    assert "Their customers" not in web.get(reverse("contact_groups")).content.decode()
    # Nor can a group of theirs be picked for a campaign.
    response = step1(web, source="group", group=str(theirs.pk))
    assert response.status_code == 400 and "group" in response.context["form"].errors
    # Nor can their contact be deleted through one of our groups.
    mine = contact_group_create(client=web.account, name="Mine")
    assert web.post(reverse("contact_delete", args=[mine.pk, contact.pk])).status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


# --- list ---------------------------------------------------------------------------------------

def test_list_shows_counts_and_progress_with_one_grouped_query(web, django_assert_max_num_queries):
    for n in range(3):
        campaign = campaign_create(client=web.account, sender="TestShop", text="Hi", name=f"Run {n}")
        campaign_accept(campaign=campaign, rows=["0671234567", "0501234567", "0671234567", "bad"])
    Message.objects.filter(campaign__name="Run 0", recipient="+380671234567").update(status=Status.DELIVERED)
    with django_assert_max_num_queries(9):
        response = web.get(reverse("campaign_list"))
    html = response.content.decode()
    assert response.status_code == 200 and "Run 0" in html and "Run 2" in html and "New campaign" in html
    row = next(r for r in response.context["rows"] if r["campaign"].name == "Run 0")
    assert row["sending"] == {"done": 1, "accepted": 2, "percent": 50} and row["delivered_percent"] == 50
    assert (row["campaign"].accepted, row["campaign"].invalid, row["campaign"].duplicates) == (2, 1, 1)


def test_list_query_count_does_not_grow_with_campaigns(web, django_assert_max_num_queries):
    campaign_accept(campaign=campaign_create(client=web.account, sender="TestShop", text="Hi"), rows=["0671234567"])
    with django_assert_max_num_queries(9) as one:
        web.get(reverse("campaign_list"))
    for _ in range(5):
        campaign_accept(campaign=campaign_create(client=web.account, sender="TestShop", text="Hi"),
                        rows=["0671234567"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        web.get(reverse("campaign_list"))


# --- new campaign: step 1 ----------------------------------------------------------------------

def test_new_campaign_page_has_the_counter_and_the_choices(web):
    response = web.get(reverse("campaign_new"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "messaging/segments.js" in html and "js/campaign_new.js" in html and 'id="sms-counter"' in html
    assert "personalized: parts counted per recipient" in html.lower()
    assert 'type="datetime-local"' in html
    assert [c[0] for c in response.context["form"].fields["ttl"].choices] == [3600, 21600, 86400, 259200]
    assert response.context["form"]["ttl"].value() == 86400
    assert response.context["campaign_config"]["longParts"] == 3


def test_without_an_approved_sender_the_page_says_so(web):
    other = make_client(name="New LLC")
    web.force_login(other.users.first())
    response = web.get(reverse("campaign_new"))
    assert "You need an approved sender name first" in response.content.decode()


@pytest.mark.parametrize("data, field, message", [
    ({"source": "paste", "numbers": ""}, "numbers", "at least one"),
    ({"source": "file"}, "file", "Choose a CSV"),
    ({"source": "group"}, "group", "Choose a contact group"),
    ({"text": "   "}, "text", "Enter the message text"),
    ({"sender": "Nope"}, "sender", "Select a valid choice"),
    ({"ttl": "999"}, "ttl", "Select a valid choice"),
    ({"send_at": "yesterday"}, "send_at", "Enter a valid date"),
    ({"source": "carrier-pigeon"}, "source", "Select a valid choice"),
])
def test_bad_input_is_a_form_error(web, data, field, message):
    response = step1(web, numbers="0671234567", **data) if "numbers" not in data else step1(web, **data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])


def test_send_at_in_the_past_is_refused(web):
    past = (timezone.localtime() - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = step1(web, numbers="0671234567", send_at=past)
    assert response.status_code == 400 and "in the past" in response.context["form"].errors["send_at"][0]


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("empty.csv", b""), "empty"),
    (SimpleUploadedFile("list.pdf", b"%PDF-1.4"), "Upload a CSV"),
    (SimpleUploadedFile("broken.xlsx", b"PK\x03\x04garbage"), "not a readable XLSX"),
    (SimpleUploadedFile("header.csv", b"phone,name\n"), "no rows"),
    (SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0"), ".xls"),
])
def test_bad_files_are_form_errors_and_leave_nothing_behind(web, upload, message):
    response = step1(web, source="file", file=upload)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors["file"])
    assert list(upload_dir().iterdir()) == []
    assert not Campaign.objects.exists()


def test_text_that_is_too_long_is_refused_at_step_one(web):
    response = step1(web, numbers="0671234567", text="x" * 1600)
    assert response.status_code == 400 and "parts" in response.context["form"].errors["text"][0]


# --- pasted numbers ------------------------------------------------------------------------------

def test_pasted_numbers_review_then_confirm_accepts_at_once(web, django_capture_on_commit_callbacks):
    url = review_url(step1(web, numbers="0671234567\n+380501234567, 12345\n0671234567"))
    response = web.get(url)
    html = response.content.decode()
    estimate = response.context["estimate"]
    assert (estimate["valid"], estimate["invalid"], estimate["duplicates"]) == (2, 1, 1)
    assert estimate["cost"] == Decimal("1.70") and not estimate["approx"]
    assert "1.70 UAH" in html and "Start campaign" in html
    assert not Campaign.objects.exists()  # nothing happens before the go-ahead

    campaign, response = confirm(web, url, django_capture_on_commit_callbacks)
    assert campaign.source == Campaign.Source.FORM and campaign.name == "Spring sale"
    assert campaign.state == Campaign.State.SENDING
    assert (campaign.accepted, campaign.invalid, campaign.duplicates) == (2, 1, 1)
    assert balance(web.account) == Decimal("98.30")
    # The draft is gone: confirming again creates nothing and charges nothing.
    again = web.post(url)
    assert again.status_code == 302 and again["Location"] == reverse("campaign_new")
    assert Campaign.objects.count() == 1 and LedgerEntry.objects.filter(kind="hold").count() == 1


def test_r_msg_03_campaign_messages_are_bulk_and_queued_for_the_release_job(web, django_capture_on_commit_callbacks):
    url = review_url(step1(web, numbers="0671234567\n0501234567"))
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks)
    assert set(Message.objects.filter(campaign=campaign).values_list("is_bulk", "status")) == {(True, Status.QUEUED)}


def test_scheduled_campaign_kyiv_time_and_lifetime(web, django_capture_on_commit_callbacks):
    local = (timezone.localtime() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    url = review_url(step1(web, numbers="0671234567", send_at=local.strftime("%Y-%m-%dT%H:%M"), ttl="3600"))
    assert "Schedule campaign" in web.get(url).content.decode()
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks)
    assert campaign.state == Campaign.State.SCHEDULED
    assert campaign.send_at == local and str(timezone.localtime(campaign.send_at).tzinfo) == "Europe/Kyiv"
    assert campaign.ttl_seconds == 3600
    message = Message.objects.get(campaign=campaign)
    assert message.status == Status.SCHEDULED and message.valid_until == local + datetime.timedelta(hours=1)


def test_edit_link_brings_the_form_back_filled(web):
    url = review_url(step1(web, numbers="0671234567\n0501234567", text="Hello there"))
    token = url.rstrip("/").split("/")[-1]
    response = web.get(reverse("campaign_new") + f"?draft={token}")
    form = response.context["form"]
    assert form["text"].value() == "Hello there" and form["numbers"].value() == "0671234567\n0501234567"
    assert form["source"].value() == "paste"


def test_missing_variable_blocks_confirmation(web, django_capture_on_commit_callbacks):
    url = review_url(step1(web, numbers="0671234567", text="Hi {name}"))
    response = web.get(url)
    assert response.context["missing"] == ["name"]
    assert "pasted numbers carry no variables" in response.content.decode()
    response = web.post(url)
    assert response.status_code == 400 and not Campaign.objects.exists()


# --- file uploads ------------------------------------------------------------------------------------

def big_csv():
    """2,000 data rows: 1,900 distinct valid numbers with names, 60 invalid, 40 repeated."""
    rows = [[f"+38067{n:07d}", f"Client {n}"] for n in range(1900)]
    rows += [[f"12{n}", "Broken"] for n in range(60)]
    rows += [[f"067{n:07d}", "Again"] for n in range(40)]  # the local form of the first 40
    return csv_file(rows)


def test_file_upload_preview_then_confirm_runs_the_task(web, django_capture_on_commit_callbacks, media):
    url = review_url(step1(web, source="file", file=big_csv(), text="Hi {name}, -20% today!"))
    response = web.get(url)
    html = response.content.decode()
    src = response.context["src"]
    assert src["total"] == 2000 and src["phone_column"] == 0 and src["variables"] == ["name"]
    assert len(src["preview"]) == 5 and "Client 0" in html and "{name}" in html
    estimate = response.context["estimate"]
    assert estimate["sampled"] == 1000 and estimate["approx"]  # priced from the first 1,000 rows
    assert estimate["cost"] == Decimal("1700.00") and "about 1,700.00 UAH" in html
    assert estimate["examples"][0]["text"] == "Hi Client 0, -20% today!"
    assert response.context["short_of_funds"]  # 100 UAH cannot pay for it (R-BILL-14 warned before)

    # Enough money for this one.
    from billing.services import wallet_topup
    wallet_topup(client=web.account, amount=Decimal("2000"), key="test-more")
    campaign, response = confirm(web, url, django_capture_on_commit_callbacks, phone_column="0")
    campaign.refresh_from_db()
    assert campaign.source == Campaign.Source.UPLOAD and campaign.state == Campaign.State.SENDING
    assert (campaign.total_rows, campaign.processed_rows) == (2000, 2000)
    assert (campaign.accepted, campaign.invalid, campaign.duplicates) == (1900, 60, 40)
    assert campaign.total_price.amount == Decimal("1615.00")
    assert Message.objects.get(campaign=campaign, recipient="+380670000007").text == "Hi Client 7, -20% today!"
    assert list(upload_dir().iterdir()) == []  # the file is deleted once read
    detail = web.get(response["Location"])
    assert detail.status_code == 200 and "Rows not accepted" in detail.content.decode()


def test_file_campaign_page_shows_its_row_count_before_the_worker_reads_it(web, django_capture_on_commit_callbacks):
    upload = csv_file([["0671234567", "Olha"], ["0501234567", "Taras"], ["0931234567", "Iryna"]])
    url = review_url(step1(web, source="file", file=upload))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the upload task has not run yet
        response = web.post(url, {"phone_column": "0"})
    assert response.status_code == 302 and len(callbacks) == 1
    campaign = Campaign.objects.get(public_id=response["Location"].rstrip("/").split("/")[-1])
    assert campaign.state == Campaign.State.ACCEPTING and (campaign.total_rows, campaign.processed_rows) == (3, 0)
    assert "0 / 3</span> rows" in web.get(response["Location"]).content.decode()


def test_r_msg_02_personalized_parts_counted_per_recipient(web, django_capture_on_commit_callbacks):
    long_name = "Oleksandra-Anastasiia " * 7  # pushes this one recipient's text past 160 characters
    upload = csv_file([["0671234567", "Olha"], ["0501234567", long_name.strip()]])
    url = review_url(step1(web, source="file", file=upload, text="Dear {name}, your order is ready for pickup."))
    estimate = web.get(url).context["estimate"]
    assert (estimate["parts_min"], estimate["parts_max"]) == (1, 2) and estimate["cost"] == Decimal("2.55")
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks, phone_column="0")
    parts = dict(Message.objects.filter(campaign=campaign).values_list("recipient", "segments"))
    assert parts == {"+380671234567": 1, "+380501234567": 2}
    assert Campaign.objects.get(pk=campaign.pk).total_price.amount == Decimal("2.55")


def test_choose_another_phone_column(web, django_capture_on_commit_callbacks):
    upload = csv_file([["0671234567", "0501234567", "Olha"]], header=("phone", "backup", "name"))
    url = review_url(step1(web, source="file", file=upload))
    response = web.get(url + "?phone_column=1")
    assert response.context["src"]["phone_column"] == 1
    assert response.context["estimate"]["examples"][0]["phone"] == "+380501234567"
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks, phone_column="1")
    assert list(Message.objects.filter(campaign=campaign).values_list("recipient", flat=True)) == ["+380501234567"]


def test_xlsx_upload(web, django_capture_on_commit_callbacks):
    upload = xlsx_file([["Телефон", "Ім'я", "Місто"], [380671234567, "Олег", "Київ"], ["0501234567", "Ivan", "Lviv"]])
    url = review_url(step1(web, source="file", file=upload, text="{name} з міста {misto}"))
    response = web.get(url)
    assert response.context["src"]["variables"] == ["name", "misto"] and response.context["missing"] == []
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks, phone_column="0")
    texts = dict(Message.objects.filter(campaign=campaign).values_list("recipient", "text"))
    assert texts == {"+380671234567": "Олег з міста Київ", "+380501234567": "Ivan з міста Lviv"}


def test_r_msg_06_warning_beyond_three_parts(web):
    url = review_url(step1(web, numbers="0671234567", text="x" * 500))  # 4 parts
    response = web.get(url)
    assert response.context["estimate"]["long"]
    html = response.content.decode()
    assert "This text needs 4 SMS parts, more than 3" in html and "delivery of long messages is not guaranteed" in html
    short = review_url(step1(web, numbers="0671234567", text="Short"))
    assert "delivery of long messages is not guaranteed" not in web.get(short).content.decode()
    personalized = review_url(step1(web, source="file", text="{name} " + "x" * 500,
                                    file=csv_file([["0671234567", "Olha"]])))
    assert "Some messages need more than 3 SMS parts" in web.get(personalized).content.decode()


def test_r_bill_14_insufficient_funds_fails_the_campaign_and_charges_nothing(web, django_capture_on_commit_callbacks):
    rows = [[f"+38067{n:07d}", "X"] for n in range(200)]  # 200 × 0.85 = 170 UAH > 100 UAH
    url = review_url(step1(web, source="file", file=csv_file(rows)))
    response = web.get(url)
    assert response.context["short_of_funds"] and "more than you have available" in response.content.decode()
    campaign, response = confirm(web, url, django_capture_on_commit_callbacks, phone_column="0")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FAILED and "cannot pay" in campaign.error_detail
    assert balance(web.account) == Decimal("100") and not Message.objects.exists()
    detail = web.get(response["Location"]).content.decode()
    assert "This campaign failed" in detail and "Top up your wallet" in detail


def test_r_bill_14_review_counts_money_held_for_messages_in_progress(web):
    """100 UAH, of which 85 are held for a send still in progress: a 20-UAH campaign cannot be paid."""
    from messaging.services import message_send

    message_send(client=web.account, sender="TestShop", recipients=[f"+38050{n:07d}" for n in range(100)],
                 text="Sale")
    rows = [[f"+38067{n:07d}", "X"] for n in range(24)]  # 24 × 0.85 = 20.40 UAH > 15 available
    response = web.get(review_url(step1(web, source="file", file=csv_file(rows))))
    html = response.content.decode()
    assert response.context["short_of_funds"] and "85.00 held for messages in progress" in html


def test_the_review_survives_a_deleted_upload(web):
    url = review_url(step1(web, source="file", file=csv_file([["0671234567", "A"]])))
    for path in upload_dir().iterdir():
        path.unlink()
    response = web.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("campaign_new")


# --- the tasks -------------------------------------------------------------------------------------

def test_upload_task_is_idempotent_and_deletes_the_file(client_account):
    name = upload_save(csv_file([["0671234567", "A"], ["0501234567", "B"]]))
    campaign = campaign_create(client=client_account, sender="TestShop", text="Hi {name}",
                               source=Campaign.Source.UPLOAD)
    campaign_accept_upload_task(campaign.pk, name, 0, 2)
    campaign_accept_upload_task(campaign.pk, name, 0, 2)  # a redelivery does nothing twice
    campaign.refresh_from_db()
    assert campaign.accepted == 2 and Message.objects.count() == 2
    assert LedgerEntry.objects.filter(kind="hold").count() == 1
    assert list(upload_dir().iterdir()) == []


def test_upload_task_records_a_missing_file_on_the_campaign(client_account):
    campaign = campaign_create(client=client_account, sender="TestShop", text="Hi", source=Campaign.Source.UPLOAD)
    campaign_accept_upload_task(campaign.pk, "gone.csv", 0, 10)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FAILED and "upload it again" in campaign.error_detail


def test_upload_task_leaves_a_cancelled_campaign_alone(client_account):
    name = upload_save(csv_file([["0671234567", "A"]]))
    campaign = campaign_create(client=client_account, sender="TestShop", text="Hi", source=Campaign.Source.UPLOAD)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CANCELLED)
    campaign_accept_upload_task(campaign.pk, name, 0, 1)
    assert not Message.objects.exists() and list(upload_dir().iterdir()) == []


def test_group_task_reads_the_group_with_names_and_variables(client_account):
    group = contact_group_create(client=client_account, name="VIP")
    contacts_import(client=client_account, group_id=group.pk, rows=[
        {"phone": "0671234567", "name": "Olha", "code": "A1"}, {"phone": "0501234567", "name": "Ivan", "code": "B2"}])
    campaign = campaign_create(client=client_account, sender="TestShop", text="{name}: code {code}",
                               source=Campaign.Source.GROUP)
    campaign_accept_group_task(campaign.pk, group.pk)
    campaign_accept_group_task(campaign.pk, group.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING and campaign.total_rows == 2
    assert sorted(Message.objects.values_list("text", flat=True)) == ["Ivan: code B2", "Olha: code A1"]


def test_group_task_does_not_read_another_clients_group(client_account):
    other = make_client(name="Other LLC")
    theirs = contact_group_create(client=other, name="Theirs")
    contacts_import(client=other, group_id=theirs.pk, rows=["0671234567"])
    campaign = campaign_create(client=client_account, sender="TestShop", text="Hi", source=Campaign.Source.GROUP)
    campaign_accept_group_task(campaign.pk, theirs.pk)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FAILED and not Message.objects.exists()


# --- contact group as the source -----------------------------------------------------------------

def test_send_to_a_group(web, django_capture_on_commit_callbacks):
    group = contact_group_create(client=web.account, name="Loyal")
    contacts_import(client=web.account, group_id=group.pk, rows=[
        {"phone": "0671234567", "name": "Olha"}, {"phone": "0501234567", "name": "Ivan"}])
    page = web.get(reverse("campaign_new") + f"?group={group.pk}")
    assert page.context["form"]["source"].value() == "group" and page.context["form"]["group"].value() == group.pk
    url = review_url(step1(web, source="group", group=str(group.pk), text="Hi {name}"))
    response = web.get(url)
    assert response.context["src"]["total"] == 2 and response.context["estimate"]["cost"] == Decimal("1.70")
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()
    assert campaign.source == Campaign.Source.GROUP and campaign.accepted == 2
    assert sorted(Message.objects.values_list("text", flat=True)) == ["Hi Ivan", "Hi Olha"]


def test_group_variable_missing_blocks_only_when_every_contact_was_seen(web, monkeypatch):
    group = contact_group_create(client=web.account, name="Loyal")
    contacts_import(client=web.account, group_id=group.pk, rows=[
        {"phone": "0671234567", "name": "Olha"}, {"phone": "0501234567", "name": "Ivan", "code": "X1"}])
    url = review_url(step1(web, source="group", group=str(group.pk), text="Code {code}"))
    response = web.get(url)
    assert response.context["missing"] == [] and not response.context["blocking"]  # Ivan has it
    url = review_url(step1(web, source="group", group=str(group.pk), text="Hi {city}"))
    response = web.get(url)
    assert response.context["blocking"] and "no contact in this group has it" in response.content.decode()
    monkeypatch.setattr("messaging.web_campaigns.ESTIMATE_ROWS", 1)  # only the first contact is looked at
    response = web.get(url)
    assert response.context["missing"] == ["city"] and not response.context["blocking"]


# --- detail, progress, errors, cancel -------------------------------------------------------------------

def make_campaign(client, **kwargs):
    campaign = campaign_create(client=client, sender="TestShop", text="Hi", name="Detail test", **kwargs)
    return campaign_accept(campaign=campaign, rows=["0671234567", "0501234567", "12345", "=cmd()", "0671234567"])


def test_detail_shows_counts_errors_and_latest_messages(web):
    campaign = make_campaign(web.account)
    response = web.get(reverse("campaign_detail", args=[campaign.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["accepted"], counts["invalid"], counts["duplicates"], counts["queued"]) == (2, 2, 1, 2)
    assert "Rows not accepted" in html and "not a valid phone number" in html
    assert "+380501234567" in html and len(response.context["recent"]) == 2
    assert 'data-live' in html and "progress.json" in html and "Cancel campaign" in html


def test_progress_json(web):
    campaign = make_campaign(web.account)
    Message.objects.filter(campaign=campaign, recipient="+380671234567").update(status=Status.DELIVERED)
    response = web.get(reverse("campaign_progress", args=[campaign.public_id]))
    data = response.json()
    assert response["Cache-Control"] == "no-store"
    assert data["state"] == "sending" and not data["finished"]
    assert data["accepting"] == {"processed": 5, "total": 5, "percent": 100}
    assert data["sending"] == {"done": 1, "accepted": 2, "percent": 50}
    assert data["counts"]["delivered"] == 1 and data["counts"]["invalid"] == 2 and data["total_price"] == "1.70"


def test_progress_json_while_accepting(web):
    campaign = campaign_create(client=web.account, sender="TestShop", text="Hi")
    Campaign.objects.filter(pk=campaign.pk).update(total_rows=50_000, processed_rows=20_000)
    data = web.get(reverse("campaign_progress", args=[campaign.public_id])).json()
    assert data["state"] == "accepting" and data["accepting"]["percent"] == 40
    html = web.get(reverse("campaign_detail", args=[campaign.public_id])).content.decode()
    assert "Reading recipients" in html and "20,000 / 50,000" in html


def test_errors_csv_download(web):
    campaign = make_campaign(web.account)
    response = web.get(reverse("campaign_errors_csv", args=[campaign.public_id]))
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "value", "reason"]
    assert rows[1] == ["3", "12345", "not a valid phone number"]
    assert rows[2][1] == "'=cmd()"  # a formula is written as text


def test_cancel_refunds_and_shows_the_refund(web):
    start = (timezone.now() + datetime.timedelta(days=1))
    campaign = make_campaign(web.account, send_at=start)
    assert campaign.state == Campaign.State.SCHEDULED and balance(web.account) == Decimal("98.30")
    response = web.post(reverse("campaign_cancel", args=[campaign.public_id]), follow=True)
    html = response.content.decode()
    assert "1.70 UAH refunded" in html and "went back to your wallet" in html
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED and balance(web.account) == Decimal("100")
    assert "Cancel campaign" not in html and "data-live" not in html
    again = web.post(reverse("campaign_cancel", args=[campaign.public_id]), follow=True)
    assert "already cancelled" in again.content.decode() and balance(web.account) == Decimal("100")


def test_cancel_needs_post(web):
    campaign = make_campaign(web.account)
    assert web.get(reverse("campaign_cancel", args=[campaign.public_id])).status_code == 405


def test_unknown_campaign_is_a_404(web):
    assert web.get(reverse("campaign_detail", args=[uuid.uuid4()])).status_code == 404


# --- contacts pages -----------------------------------------------------------------------------------

def test_contacts_create_group_import_and_report(web):
    response = web.post(reverse("contact_groups"), {"name": "Customers"})
    group = ContactGroup.objects.get(client=web.account)
    assert response["Location"] == reverse("contact_group", args=[group.pk])
    upload = csv_file([["0671234567", "Olha", "Kyiv"], ["bad", "X", "Y"], ["380671234567", "Dup", "Z"]],
                      header=("Телефон", "Ім'я", "Місто"))
    response = web.post(reverse("contact_import", args=[group.pk]), {"file": upload})
    review = response["Location"]
    page = web.get(review)
    assert page.status_code == 200 and page.context["src"]["phone_column"] == 0 and "Olha" in page.content.decode()
    response = web.post(review, {"phone_column": "0"}, follow=True)
    html = response.content.decode()
    assert response.context["report"]["added"] == 1 and response.context["report"]["invalid"] == 1
    assert "Import report" in html and "not a phone number" in html
    contact = Contact.objects.get(group=group)
    assert (contact.phone, contact.name, contact.variables) == ("+380671234567", "Olha", {"misto": "Kyiv"})
    assert list(upload_dir().iterdir()) == []
    listing = web.get(reverse("contact_groups"))
    assert listing.context["groups"][0].size == 1 and "Send to this group" in listing.content.decode()


def test_duplicate_group_name_is_a_form_error(web):
    contact_group_create(client=web.account, name="VIP")
    response = web.post(reverse("contact_groups"), {"name": "vip"})
    assert response.status_code == 400 and "already have a group" in response.context["form"].errors["name"][0]


def test_contact_add_delete_rename_and_group_delete(web):
    group = contact_group_create(client=web.account, name="G")
    web.post(reverse("contact_add", args=[group.pk]), {"phone": "067 123 45 67", "name": "Olha"})
    bad = web.post(reverse("contact_add", args=[group.pk]), {"phone": "123", "name": ""}, follow=True)
    assert "not a valid phone number" in bad.content.decode()
    contact = Contact.objects.get(group=group)
    page = web.get(reverse("contact_group", args=[group.pk]))
    assert "+380671234567" in page.content.decode() and "Send to this group" in page.content.decode()
    web.post(reverse("contact_delete", args=[group.pk, contact.pk]))
    assert not Contact.objects.exists()
    web.post(reverse("contact_group_rename", args=[group.pk]), {"name": "Renamed"})
    assert ContactGroup.objects.get(pk=group.pk).name == "Renamed"
    response = web.post(reverse("contact_group_delete", args=[group.pk]))
    assert response["Location"] == reverse("contact_groups") and not ContactGroup.objects.exists()


def test_group_page_paginates_with_few_queries(web, django_assert_max_num_queries):
    group = contact_group_create(client=web.account, name="Big")
    contacts_import(client=web.account, group_id=group.pk,
                    rows=[{"phone": f"067{n:07d}", "name": f"N{n}", "city": "Kyiv"} for n in range(120)])
    with django_assert_max_num_queries(12):
        response = web.get(reverse("contact_group", args=[group.pk]) + "?page=3")
    assert len(response.context["rows"]) == 20 and response.context["page"].paginator.num_pages == 3


def test_contact_import_bad_file_is_a_message_not_a_500(web):
    group = contact_group_create(client=web.account, name="G")
    response = web.post(reverse("contact_import", args=[group.pk]),
                        {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04nope")}, follow=True)
    assert response.status_code == 200 and "not a readable XLSX" in response.content.decode()


def test_campaign_whose_messages_are_all_final_shows_done_without_waiting_for_the_settle_job(web):
    campaign = make_campaign(web.account)
    Message.objects.filter(campaign=campaign).update(status=Status.DELIVERED)  # receipts came back
    response = web.get(reverse("campaign_detail", args=[campaign.public_id]))
    html = response.content.decode()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE and campaign.finished_at is not None
    assert "Cancel campaign" not in html and "data-live" not in html and not response.context["can_cancel"]
    other = make_campaign(web.account)
    Message.objects.filter(campaign=other).update(status=Status.UNDELIVERED)
    data = web.get(reverse("campaign_progress", args=[other.public_id])).json()
    assert data["state"] == "done" and data["finished"] and data["cancellable"] is False


def test_cancel_button_only_while_something_is_left_to_cancel(web):
    campaign = make_campaign(web.account)
    first, second = Message.objects.filter(campaign=campaign).order_by("pk")
    Message.objects.filter(pk=first.pk).update(status=Status.SUBMITTED)
    response = web.get(reverse("campaign_detail", args=[campaign.public_id]))
    assert response.context["can_cancel"] and "Cancel campaign" in response.content.decode()
    Message.objects.filter(pk=second.pk).update(status=Status.SUBMITTING)  # handed to a connector
    response = web.get(reverse("campaign_detail", args=[campaign.public_id]))
    html = response.content.decode()
    assert "Cancel campaign" not in html and "data-live" in html  # still sending, nothing to cancel
    data = web.get(reverse("campaign_progress", args=[campaign.public_id])).json()
    assert data["state"] == "sending" and data["cancellable"] is False


def test_errors_csv_writes_every_formula_looking_row_as_text(web):
    """'+1+cmd…' and '-2+3+cmd…' passed the old check (a sign followed by a digit)."""
    attacks = ["+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\uff1dcmd()"]
    campaign = campaign_accept(campaign=campaign_create(client=web.account, sender="TestShop", text="Hi"),
                               rows=["0671234567", *attacks])
    response = web.get(reverse("campaign_errors_csv", args=[campaign.public_id]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row[1] for row in rows[1:]) == sorted("'" + a for a in attacks)
