"""Accepting Viber sends: gating, validation, types, welcome first, opt-out phone, daily limit,
pricing in EUR at the day's rate (messaging.viber.service)."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
from decimal import Decimal

import pytest
from djmoney.money import Money

from billing.models import LedgerEntry
from messaging.models import Message, ViberLimit
from messaging.viber.service import viber_estimate, viber_send
from smsportal.errors import ApplicationError
from tests.messaging.viber_fixtures import (KYIVSTAR, OWN_PHONE, RATE, VODAFONE, consent, req,  # noqa: F401
                                            viber_client)

pytestmark = pytest.mark.django_db


def _code(exc) -> str:
    return exc.value.code


def test_r_vib_01_viber_needs_a_signed_contract(viber_client):
    type(viber_client).objects.filter(pk=viber_client.pk).update(contract_status=viber_client.Contract.NONE)
    viber_client.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=req())
    assert _code(exc) == "contract_required" and exc.value.status == 403
    assert not Message.objects.exists()


def test_r_vib_01_viber_must_be_enabled_by_staff(viber_client):
    type(viber_client).objects.filter(pk=viber_client.pk).update(viber_enabled=False)
    viber_client.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=req())
    assert _code(exc) == "viber_not_enabled"


def test_r_snd_07_only_own_approved_viber_sender(viber_client):
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=req(sender="TestShop"))  # an SMS name
    assert _code(exc) == "sender_not_approved"


def test_r_snd_07_shared_sender_only_for_tests_to_own_verified_phones(viber_client):
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[OWN_PHONE], request=req(sender="SMSPortal"))
    assert _code(exc) == "shared_sender_test_only"
    test = req(sender="SMSPortal", viber_type="test", text="Test message +380441234567")
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=test)
    assert _code(exc) == "shared_sender_own_phones_only"
    viber_send(client=viber_client, recipients=[OWN_PHONE], request=req())  # the welcome first
    result = viber_send(client=viber_client, recipients=[OWN_PHONE], request=test)
    assert [m.status for m in result.messages] == ["queued"]


@pytest.mark.parametrize(("kw", "code"), [
    ({"text": "x" * 1001}, "text_too_long"),
    ({"button_caption": "Open", "button_url": ""}, "button_incomplete"),
    ({"button_caption": "C" * 31, "button_url": "https://shop.example/a"}, "button_caption_too_long"),
    ({"image_url": "http://shop.example/a.png", "button_caption": "Open", "button_url": "https://shop.example/"},
     "image_url_invalid"),
    ({"image_url": "https://shop.example/a.gif", "button_caption": "Open", "button_url": "https://shop.example/"},
     "image_type_invalid"),
    ({"ttl": 10}, "ttl_out_of_range"),
])
def test_r_vib_02_message_refusals_have_their_own_codes(viber_client, kw, code):
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=req(**kw))
    assert _code(exc) == code and exc.value.status == 400
    assert code in [r["code"] for r in exc.value.extra["refusals"]]
    assert not Message.objects.exists() and not LedgerEntry.objects.filter(kind="hold").exists()


def test_r_vib_03_test_message_needs_the_test_word(viber_client):
    viber_send(client=viber_client, recipients=[KYIVSTAR], request=req())
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=req(viber_type="test", text="Hello +380441234567"))
    assert _code(exc) == "test_word_missing"
    ok = viber_send(client=viber_client, recipients=[KYIVSTAR], request=req(viber_type="test",
                                                                           text="Тест +380441234567"))
    assert ok.messages[0].status == "queued"


def test_r_vib_03_transactional_must_fill_an_approved_template(viber_client):
    viber_send(client=viber_client, recipients=[KYIVSTAR], request=req())
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR],
                   request=req(viber_type="transactional", text="Your parcel 5 is lost. Info: +380441234567"))
    assert _code(exc) == "no_matching_template"
    ok = viber_send(client=viber_client, recipients=[KYIVSTAR],
                    request=req(viber_type="transactional", text="Your order 12345 is ready. Info: +380441234567"))
    assert ok.messages[0].status == "queued" and ok.messages[0].viber.template.name == "Order ready"
    assert ok.messages[0].message_type == "service"


def test_r_vib_04_first_message_must_be_welcome(viber_client):
    consent(viber_client, KYIVSTAR, VODAFONE)
    viber_send(client=viber_client, recipients=[KYIVSTAR], request=req())
    promo = req(viber_type="advertising", text="Sale -20% at ViberShop! +380441234567",
                button_caption="Shop", button_url="https://shop.example/")
    result = viber_send(client=viber_client, recipients=[KYIVSTAR, VODAFONE], request=promo)
    by = {m.recipient: m for m in result.messages}
    assert by[KYIVSTAR].status in ("queued", "scheduled")  # advertising keeps the sending hours
    assert by[VODAFONE].status == "refused" and by[VODAFONE].error_code == "welcome_required"
    assert by[VODAFONE].price.amount == 0
    assert result.total_price == by[KYIVSTAR].price


def test_r_vib_08_contact_phone_appended_when_missing(viber_client):
    result = viber_send(client=viber_client, recipients=[KYIVSTAR], request=req(text="Welcome to ViberShop!"))
    assert result.messages[0].text == f"Welcome to ViberShop!\n{OWN_PHONE}"
    kept = viber_send(client=viber_client, recipients=[VODAFONE], request=req())
    assert kept.messages[0].text == "Welcome to ViberShop! Questions: +380441234567"


def test_r_vib_08_no_contact_phone_at_all_is_refused(viber_client):
    viber_client.users.update(phone_verified=False)
    with pytest.raises(ApplicationError) as exc:
        viber_send(client=viber_client, recipients=[KYIVSTAR], request=req(text="Welcome to ViberShop!"))
    assert _code(exc) == "contact_phone_required"


def test_r_vib_09_daily_limit_per_client(viber_client):
    ViberLimit.objects.create(client=viber_client, daily_limit=2)
    result = viber_send(client=viber_client, recipients=[KYIVSTAR, VODAFONE, OWN_PHONE], request=req())
    statuses = sorted((m.status, m.error_code) for m in result.messages)
    assert statuses == [("queued", ""), ("queued", ""), ("refused", "viber_daily_limit")]
    again = viber_send(client=viber_client, recipients=["+380931234567"], request=req())
    assert again.messages[0].error_code == "viber_daily_limit"


def test_r_bill_08_charge_records_the_eur_price_and_the_rate(viber_client):
    consent(viber_client, KYIVSTAR)
    welcome = viber_send(client=viber_client, recipients=[KYIVSTAR], request=req()).messages[0]
    assert welcome.price == Money(Decimal("0.9000"), "UAH")  # 0.02 EUR × 45 (service)
    assert welcome.viber.eur_price == Money(Decimal("0.0200"), "EUR") and welcome.viber.rate == RATE
    promo = viber_send(client=viber_client, recipients=[KYIVSTAR],
                       request=req(viber_type="advertising", text="Sale! ViberShop +380441234567")).messages[0]
    assert promo.message_type == "advertising" and promo.price == Money(Decimal("1.3500"), "UAH")
    hold = LedgerEntry.objects.filter(kind="hold").order_by("id").last()
    assert hold.held_delta.amount == Decimal("1.3500") and hold.details["rate"] == str(RATE)


def test_r_cmp_06_viber_advertising_needs_consent(viber_client):
    viber_send(client=viber_client, recipients=[KYIVSTAR], request=req())
    promo = viber_send(client=viber_client, recipients=[KYIVSTAR],
                       request=req(viber_type="advertising", text="Sale! ViberShop +380441234567")).messages[0]
    assert promo.status == "refused" and promo.error_code == "no_consent"


def test_viber_estimate_prices_without_storing(viber_client):
    out = viber_estimate(client=viber_client, recipients=[KYIVSTAR, VODAFONE], request=req())
    assert out["count"] == 2 and out["total_price"]["amount"] == "1.80" and out["rate"] == str(RATE)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_r_vib_01_demo_client_can_send_viber_from_demoshop():
    from django.core.management import call_command

    from accounts.models import User

    for _ in range(2):  # `make run` seeds at every start
        call_command("seed_demo", "--smsc-port", "1", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = User.objects.get(email="demo@example.com").client
    assert client.viber_enabled and client.contract_signed
    welcome = req(sender="DemoShop", text="Welcome to Demo Shop!")
    result = viber_send(client=client, recipients=[KYIVSTAR], request=welcome)
    assert result.messages[0].status == "queued" and result.messages[0].text.endswith("+380501234567")
    order = req(sender="DemoShop", viber_type="transactional",
                text="Your order 42 is ready for pickup. Questions: +380441234567")
    assert viber_send(client=client, recipients=[KYIVSTAR], request=order).messages[0].status == "queued"
