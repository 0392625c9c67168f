"""The Send page's limits and schedule (the website in Ukrainian): more numbers or characters than
one send takes are said clearly, never cut or estimated for a part; the browser and the server
count a line break once (CRLF = one); a send can be scheduled in Kyiv time, with a clear error for
a time in the past, and given a lifetime (R-MSG-01)."""
import datetime
from decimal import Decimal
import uuid
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.forms import MAX_RECIPIENTS_FIELD_CHARS, RecipientsField, SendForm
from messaging.models import Message

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def _form(**overrides):
    data = {"sender": "TestShop", "recipients": "0671234567", "text": "Hello", "token": str(uuid.uuid4())}
    data.update(overrides)
    return data


def _numbers(n):
    return [f"067{i:07d}" for i in range(1000000, 1000000 + n)]


# --- how many numbers -----------------------------------------------------------------------------

def test_more_numbers_than_one_send_takes_is_a_clear_error(settings):
    settings.SMSPORTAL_MAX_RECIPIENTS = 1000
    form = SendForm(_form(recipients="\r\n".join(_numbers(1001))), sender_names=["TestShop"])
    assert not form.is_valid()
    assert form.errors["recipients"] == [
        "You entered 1,001 numbers; one send takes at most 1,000. Send them in parts, or upload them as a file "
        "in a campaign."]
    assert SendForm(_form(recipients="\r\n".join(_numbers(1000))), sender_names=["TestShop"]).is_valid()


@pytest.mark.django_db
def test_estimate_of_too_many_numbers_says_so_instead_of_pricing_the_first_thousand(web, settings):
    settings.SMSPORTAL_MAX_RECIPIENTS = 1000
    response = web.post(reverse("message_send_estimate"),
                        {"text": "Hello", "recipients": "\n".join(_numbers(10_000))})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_recipients"
    assert (body["given"], body["max"]) == (10_000, 1000)
    assert "10,000" in body["detail"]


# --- how many characters: a line break is one, as in the browser ----------------------------------

def test_crlf_counts_as_one_character_as_in_the_browser():
    field = RecipientsField()
    lines = ["0671234567"] * 9091  # 9,091 numbers of 10 digits: 100,000 characters with LF breaks
    lf = "\n".join(lines)
    assert len(lf) == 100_000 == MAX_RECIPIENTS_FIELD_CHARS
    # what the browser posts: CRLF, 109,090 characters; what its textarea counted: 100,000
    assert field.to_python("\r\n".join(lines)) == lf
    field.run_validators(field.to_python("\r\n".join(lines)))  # not over the limit


def test_longer_paste_than_the_box_takes_says_how_long_instead_of_being_cut():
    form = SendForm(_form(recipients="0" * (MAX_RECIPIENTS_FIELD_CHARS + 1)), sender_names=["TestShop"])
    assert not form.is_valid()
    assert form.errors["recipients"] == [
        "The list has 100,001 characters; one send takes at most 100,000. For longer lists, upload a file in a "
        "campaign."]


def test_the_box_has_no_maxlength_that_would_cut_a_paste_silently(settings):
    settings.SMSPORTAL_MAX_RECIPIENTS = 1000
    html = str(SendForm(sender_names=["TestShop"])["recipients"])
    assert "maxlength" not in html
    assert 'data-max-chars="100000"' in html and 'data-max-recipients="1000"' in html


@pytest.mark.django_db
def test_send_page_says_the_limits_and_service_refusal_lands_under_recipients(web, settings):
    body = web.get(reverse("message_send")).content.decode()
    assert 'id="too-many-warning"' in body and 'id="too-long-warning"' in body
    assert "{given}" in body  # the script's template, filled in as the client pastes


def test_text_crlf_counts_once_against_its_limit():
    text = "ab\r\n" * 1250  # 5,000 characters with LF breaks, 6,250 as posted
    form = SendForm(_form(text=text), sender_names=["TestShop"])
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["text"]) == 3750


# --- schedule and lifetime --------------------------------------------------------------------------

@pytest.mark.django_db
def test_scheduled_send_is_read_in_kyiv_time_and_kept(web):
    later = (timezone.now() + datetime.timedelta(days=2)).astimezone(KYIV).replace(hour=10, minute=30, second=0,
                                                                                   microsecond=0)
    with timezone.override("UTC"):  # whatever time zone is active, the field reads Kyiv time
        response = web.post(reverse("message_send"), _form(send_at=later.strftime("%Y-%m-%dT%H:%M"), ttl="3600"),
                            follow=True)
    message = Message.objects.get()
    assert message.send_at == later
    assert message.valid_until is None or message.valid_until > later
    assert f"Scheduled for {later.strftime('%d.%m.%Y')} 10:30 Kyiv time." in response.content.decode()


@pytest.mark.django_db
def test_send_time_in_the_past_is_a_clear_error(web):
    past = (timezone.now() - datetime.timedelta(hours=1)).astimezone(KYIV)
    response = web.post(reverse("message_send"), _form(send_at=past.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 400
    assert response.context["form"].errors["send_at"] == [
        f"{past.strftime('%d.%m.%Y %H:%M')} Kyiv time has already passed. Choose a later time, or leave it empty "
        "to send now."]
    assert not Message.objects.exists()


def test_send_time_is_shown_in_kyiv_time():
    at = datetime.datetime(2030, 3, 1, 8, 0, tzinfo=datetime.UTC)  # 10:00 in Kyiv
    with timezone.override("UTC"):
        html = str(SendForm(initial={"send_at": at}, sender_names=["TestShop"])["send_at"])
    assert 'value="2030-03-01T10:00"' in html and 'type="datetime-local"' in html


@pytest.mark.django_db
def test_r_msg_01_lifetime_choice_reaches_the_message(web):
    web.post(reverse("message_send"), _form(ttl="21600"))
    message = Message.objects.get()
    assert message.valid_until is not None
    assert abs((message.valid_until - message.created_at).total_seconds() - 21600) < 120


def test_lifetime_outside_the_choices_is_refused():
    form = SendForm(_form(ttl="999999"), sender_names=["TestShop"])
    assert not form.is_valid() and "ttl" in form.errors


# --- the balance after a send ---------------------------------------------------------------------

@pytest.mark.django_db
def test_balance_json_is_the_wallet_for_the_header(web):
    body = web.get(reverse("message_send_balance")).json()
    assert body["balance"] == {"amount": "100.00", "currency": "UAH"}
    assert body["available"]["amount"] == "100.0000"
    web.post(reverse("message_send"), _form())
    after = web.get(reverse("message_send_balance")).json()
    assert Decimal(after["available"]["amount"]) < Decimal("100")


@pytest.mark.django_db
def test_page_after_a_send_shows_the_new_available_amount(web):
    response = web.post(reverse("message_send"), _form(), follow=True)
    assert response.status_code == 200
    body = web.get(reverse("message_send")).content.decode()
    assert 'data-balance="99.' in body  # 100 UAH less the reserved price


# --- {variables}: pasted numbers have no values for them ------------------------------------------

def test_variable_without_values_on_the_send_page_is_a_clear_error():
    form = SendForm(_form(text="Hi {name}, your code is {code}. {phone}"), sender_names=["TestShop"])
    assert not form.is_valid()
    assert form.errors["text"] == [
        "{code}, {name} would be empty for every recipient: pasted numbers have no names or other columns (only "
        "{phone} is filled in here). To personalize, create a campaign from a file or a contact group."]
    assert SendForm(_form(text="Your number {phone} is registered."), sender_names=["TestShop"]).is_valid()


@pytest.mark.django_db
def test_send_page_carries_the_empty_variable_warning(web):
    body = web.get(reverse("message_send")).content.decode()
    assert 'id="empty-var-warning"' in body and "{variables} would be empty" in body
