"""The website's messaging pages: dashboard, send form, message list, status polling, detail."""
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Tariff
from billing.selectors import ledger_for_client, wallet_get
from messaging.forms import split_recipients
from messaging.models import Message, MessagePart
from messaging.services import message_send, messages_transition
from messaging.status import Status
from tests.factories import SenderNameFactory, UserFactory, make_client


def _send_form(**overrides):
    data = {"sender": "TestShop", "recipients": "0671234567", "text": "Hello", "token": str(uuid.uuid4())}
    data.update(overrides)
    return data


def _balance(client):
    """What the client can spend: a send reserves (holds) its price at once (R-BILL-14)."""
    return wallet_get(client=client).available.amount


def _other_client_message():
    other = make_client(name="Other LLC", balance=50)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    return message_send(client=other, sender="OtherShop", recipients=["0501112233"], text="secret").messages[0]


# --- login and staff ------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("name", ["dashboard", "message_send", "message_list", "message_status_json"])
def test_pages_require_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.django_db
def test_message_detail_requires_login(client):
    response = client.get(reverse("message_detail", args=[uuid.uuid4()]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_staff_without_client_goes_to_admin(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


# --- dashboard ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_dashboard_shows_balance_senders_recent_messages_and_ledger(web):
    SenderNameFactory(client=web.account, name="Pending1")
    message_send(client=web.account, sender="TestShop", recipients=["0671234567"], text="First one")
    response = web.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "99.15" in html  # available: 100 − 0.85 held, two decimals
    assert "0.85 held for messages in progress" in html
    assert "Acme LLC" in html
    assert "TestShop" in html and "Pending1" in html and "Pending moderation" in html
    assert "+380671234567" in html and "First one" in html
    assert [row["status"] for row in response.context["today"]] == [Status.QUEUED]
    assert response.context["today_total"] == 1
    kinds = [e.kind for e in response.context["ledger"]]
    assert kinds == ["hold", "topup"]


@pytest.mark.django_db
def test_dashboard_hides_other_clients_messages(web):
    other = _other_client_message()
    html = web.get(reverse("dashboard")).content.decode()
    assert other.recipient not in html
    assert "secret" not in html


@pytest.mark.django_db
def test_sender_name_request_from_dashboard(web):
    response = web.post(reverse("sender_request"), {"name": "NewBrand"}, follow=True)
    assert "NewBrand" in response.content.decode()
    assert web.account.sender_names.filter(name="NewBrand", status="pending").exists()


@pytest.mark.django_db
def test_sender_name_request_error_is_shown(web):
    response = web.post(reverse("sender_request"), {"name": "testshop"}, follow=True)
    assert "already registered" in response.content.decode()
    assert web.account.sender_names.count() == 1


# --- send -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_send_page_offers_only_approved_senders_and_the_price(web):
    SenderNameFactory(client=web.account, name="Waiting")
    response = web.get(reverse("message_send"))
    assert response.status_code == 200
    assert response.context["form"].fields["sender"].choices == [("TestShop", "TestShop")]
    assert response.context["send_config"]["segmentPrice"] == "0.8500"
    html = response.content.decode()
    assert 'id="send-config"' in html and "messaging/segments.js" in html and "js/send.js" in html


@pytest.mark.django_db
def test_r_bill_14_send_page_compares_the_cost_with_what_is_available(web):
    message_send(client=web.account, sender="TestShop", recipients=["0671234567", "0501234567"], text="Hi")
    html = web.get(reverse("message_send")).content.decode()
    assert 'data-balance="98.3000"' in html and "98.30 UAH" in html  # 100 − 1.70 held


@pytest.mark.django_db
def test_send_page_without_approved_sender_explains(client):
    account = make_client(name="Fresh LLC", balance=10)
    SenderNameFactory(client=account, name="NotYet")
    client.force_login(account.users.first())
    response = client.get(reverse("message_send"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "must be approved by our staff" in html
    assert 'id="send-form"' not in html


@pytest.mark.django_db
def test_send_page_without_tariff_says_sending_is_unavailable(web):
    Tariff.objects.all().delete()
    response = web.get(reverse("message_send"))
    assert response.status_code == 200
    assert response.context["segment_price"] is None
    assert "No price list is in force" in response.content.decode()


@pytest.mark.django_db
def test_send_one_message_charges_and_redirects_to_its_detail(web):
    response = web.post(reverse("message_send"), _send_form(recipients="067 123 45 67"))
    message = Message.objects.get(client=web.account)
    assert response.status_code == 302
    assert response["Location"] == reverse("message_detail", args=[message.public_id])
    assert message.recipient == "+380671234567"
    assert message.sender == "TestShop"
    assert _balance(web.account) == Decimal("99.15")
    page = web.get(response["Location"])
    assert "Accepted 1 message for sending; 0.85 UAH reserved on your wallet." in page.content.decode()


@pytest.mark.django_db
def test_send_to_many_mixed_separators_charges_once(web):
    recipients = "0671234567, +380501234567;380631234567\n0931234567 0661234567\n0671234567"
    response = web.post(reverse("message_send"), _send_form(recipients=recipients), follow=True)
    assert response.redirect_chain[-1][0] == reverse("message_list")
    assert Message.objects.filter(client=web.account).count() == 5  # the duplicate is sent once
    assert _balance(web.account) == Decimal("100") - 5 * Decimal("0.85")
    assert [e.kind for e in ledger_for_client(client=web.account)] == ["hold", "topup"]
    assert "Accepted 5 messages for sending; 4.25 UAH reserved on your wallet." in response.content.decode()


@pytest.mark.django_db
def test_send_counts_crlf_line_breaks_as_one_character(web):
    text = ("x" * 79 + "\r\n") * 2  # 160 characters once CRLF is one line break: still one SMS
    web.post(reverse("message_send"), _send_form(text=text))
    message = Message.objects.get(client=web.account)
    assert message.text == ("x" * 79 + "\n") * 2
    assert message.segments == 1


@pytest.mark.django_db
def test_resubmitted_form_sends_once(web):
    data = _send_form()
    web.post(reverse("message_send"), data)
    response = web.post(reverse("message_send"), data, follow=True)
    assert Message.objects.filter(client=web.account).count() == 1
    assert _balance(web.account) == Decimal("99.15")
    assert "already sent" in response.content.decode()


@pytest.mark.django_db
def test_invalid_recipient_is_a_form_error_and_sends_nothing(web):
    response = web.post(reverse("message_send"), _send_form(recipients="0671234567\n12345"))
    assert response.status_code == 400
    assert "'12345'" in " ".join(response.context["form"].non_field_errors())  # the service's detail
    html = response.content.decode()
    assert "12345" in html  # the input is kept
    assert not Message.objects.exists()
    assert _balance(web.account) == Decimal("100")


@pytest.mark.django_db
def test_insufficient_funds_is_a_form_error(web):
    recipients = "\n".join(f"06712345{i:02d}" for i in range(50))
    text = "Привіт " * 30  # UCS-2, 210 units: 4 parts × 0.85 × 50 = 170 UAH > 100
    response = web.post(reverse("message_send"), _send_form(recipients=recipients, text=text))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert "Привіт" in response.content.decode()
    assert not Message.objects.exists()
    assert _balance(web.account) == Decimal("100")


@pytest.mark.django_db
def test_text_over_ten_parts_is_a_form_error(web):
    response = web.post(reverse("message_send"), _send_form(text="a" * 1600))
    assert response.status_code == 400
    assert "at most 10" in " ".join(response.context["form"].non_field_errors())
    assert not Message.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", [
    ({"sender": "NotMine"}, "sender"),
    ({"recipients": " ,; \n"}, "recipients"),
    ({"text": "   "}, "text"),
    ({"text": "a\x00b"}, "text"),
    ({"token": "not-a-uuid"}, "token"),
])
def test_bad_input_is_a_form_error_never_a_500(web, overrides, field):
    response = web.post(reverse("message_send"), _send_form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_pending_sender_cannot_be_used_even_if_posted(web):
    SenderNameFactory(client=web.account, name="Waiting")
    response = web.post(reverse("message_send"), _send_form(sender="Waiting"))
    assert response.status_code == 400
    assert "sender" in response.context["form"].errors
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_blocked_account_gets_a_form_error(web):
    web.account.status = "blocked"
    web.account.save(update_fields=["status"])
    response = web.post(reverse("message_send"), _send_form())
    assert response.status_code == 400
    assert "blocked" in " ".join(response.context["form"].non_field_errors())
    assert not Message.objects.exists()


def test_split_recipients_understands_separators_and_spaced_numbers():
    assert split_recipients("0671234567\n0501234567") == ["0671234567", "0501234567"]
    assert split_recipients("0671234567, 0501234567;0631234567") == ["0671234567", "0501234567", "0631234567"]
    assert split_recipients("0671234567 0501234567") == ["0671234567", "0501234567"]
    assert split_recipients("+38 (067) 123-45-67") == ["+38 (067) 123-45-67"]
    assert split_recipients(" \n ,, ") == []


# --- message list ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_message_list_shows_own_messages_newest_first(web):
    message_send(client=web.account, sender="TestShop", recipients=["0671111111"], text="older")
    message_send(client=web.account, sender="TestShop", recipients=["0672222222"], text="newer")
    other = _other_client_message()
    response = web.get(reverse("message_list"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [m.text for m in rows] == ["newer", "older"]
    html = response.content.decode()
    assert other.recipient not in html and "secret" not in html
    assert f'data-status-for="{rows[0].public_id}"' in html  # queued: polled
    assert "js/status_poll.js" in html


@pytest.mark.django_db
def test_message_list_filters_by_status_and_recipient(web):
    first = message_send(client=web.account, sender="TestShop", recipients=["0671111111"], text="a").messages[0]
    message_send(client=web.account, sender="TestShop", recipients=["0672222222"], text="b")
    messages_transition(ids=[first.pk], new=Status.CANCELLED)

    by_status = web.get(reverse("message_list"), {"status": "cancelled"}).context["rows"]
    assert [m.recipient for m in by_status] == ["+380671111111"]
    by_number = web.get(reverse("message_list"), {"q": "067 222"}).context["rows"]
    assert [m.recipient for m in by_number] == ["+380672222222"]
    bad_filter = web.get(reverse("message_list"), {"status": "nonsense"})
    assert bad_filter.status_code == 200
    assert len(bad_filter.context["rows"]) == 2


@pytest.mark.django_db
def test_final_messages_are_not_polled(web):
    message = message_send(client=web.account, sender="TestShop", recipients=["0671111111"], text="a").messages[0]
    messages_transition(ids=[message.pk], new=Status.CANCELLED)
    html = web.get(reverse("message_list")).content.decode()
    assert "data-status-for" not in html


@pytest.mark.django_db
def test_message_list_pages_by_keyset_cursor_and_keeps_the_filters(web):
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    recipients = [f"067{i:07d}" for i in range(1000001, 1000061)]
    message_send(client=web.account, sender="TestShop", recipients=recipients, text="bulk")
    message_send(client=web.account, sender="TestShop", recipients=["0501234567"], text="other")
    newest_first = list(Message.objects.filter(client=web.account, recipient__startswith="+38067")
                        .order_by("-created_at", "-id").values_list("public_id", flat=True))
    with CaptureQueriesContext(connection) as queries:
        first = web.get(reverse("message_list"), {"q": "067"})
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "messaging_message" in q["sql"]]
    assert not [q for q in queries.captured_queries if "OFFSET" in q["sql"].upper()]
    assert [m.public_id for m in first.context["rows"]] == newest_first[:50]
    html = first.content.decode()
    older = re.search(r'href="\?([^"]*after=[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "q=067" in older and "before=" not in html
    second = web.get(reverse("message_list") + "?" + older)
    assert [m.public_id for m in second.context["rows"]] == newest_first[50:]  # the rest, the filter kept
    assert second.context["older_cursor"] is None
    html = second.content.decode()
    newer = re.search(r'href="\?([^"]*before=[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "q=067" in newer
    back = web.get(reverse("message_list") + "?" + newer)
    assert [m.public_id for m in back.context["rows"]] == newest_first[:50]
    assert back.context["newer_cursor"] is None
    assert web.get(reverse("message_list"), {"after": "garbage"}).status_code == 200  # a mangled link: page one
    assert web.get(reverse("message_list"), {"page": "999"}).status_code == 200


@pytest.mark.django_db
def test_message_list_query_count_does_not_grow_with_rows(web, django_assert_max_num_queries):
    message_send(client=web.account, sender="TestShop", recipients=["0671111111"], text="one")
    with django_assert_max_num_queries(8) as few:
        web.get(reverse("message_list"))
    recipients = [f"067{i:07d}" for i in range(2000001, 2000041)]
    message_send(client=web.account, sender="TestShop", recipients=recipients, text="many")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = web.get(reverse("message_list"))
    assert len(response.context["rows"]) == 41


# --- status polling -------------------------------------------------------------------------

@pytest.mark.django_db
def test_status_json_returns_only_own_messages(web):
    mine = message_send(client=web.account, sender="TestShop", recipients=["0671111111", "0672222222"],
                        text="x").messages
    messages_transition(ids=[mine[1].pk], new=Status.CANCELLED)
    other = _other_client_message()
    ids = ",".join([str(mine[0].public_id), str(mine[1].public_id), str(other.public_id), "garbage"])
    response = web.get(reverse("message_status_json"), {"ids": ids})
    assert response.status_code == 200
    assert response.json() == {str(mine[0].public_id): "queued", str(mine[1].public_id): "cancelled"}


@pytest.mark.django_db
def test_status_json_without_ids_is_empty(web):
    assert web.get(reverse("message_status_json")).json() == {}


# --- detail ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_message_detail_shows_fields_and_parts(web, route):
    message = message_send(client=web.account, sender="TestShop", recipients=["0671234567"],
                           text="a" * 200).messages[0]
    MessagePart.objects.create(message=message, seq=1, route=route, status=Status.SUBMITTED, smsc_message_id="abc-1")
    MessagePart.objects.create(message=message, seq=2, route=route, status=Status.SUBMITTED, smsc_message_id="abc-2")
    response = web.get(reverse("message_detail", args=[message.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(message.public_id) in html
    assert "+380671234567" in html and "TestShop" in html and "GSM-7" in html
    assert "abc-1" in html and "abc-2" in html
    assert "1.70 UAH" in html


@pytest.mark.django_db
def test_other_clients_message_detail_is_404(web):
    other = _other_client_message()
    assert web.get(reverse("message_detail", args=[other.public_id])).status_code == 404
    assert web.get(reverse("message_detail", args=[uuid.uuid4()])).status_code == 404
