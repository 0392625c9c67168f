"""R-VIB-10: Viber texts may not call for gatherings, promote fascism or war, or imply that Viber
sponsors or initiates them (T 4.11.2.7, 4.11.2.12, 4.11.2.15). Seeded rules of categories that apply
to Viber texts only; the same texts on SMS are screened by the ordinary rules alone."""
import pytest

from compliance.models import ContentRule
from compliance.services import content_screen
from messaging.models import Message
from tests.messaging.viber_fixtures import KYIVSTAR, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db

REFUSED_ON_VIBER = [
    ("rally_uk", "Усі на мітинг біля міськради о 18:00!", "viber_gatherings"),
    ("rally_ru", "Завтра митинг у мэрии, приходите", "viber_gatherings"),
    ("square_uk", "Вийдіть на площу в неділю, покажемо силу", "viber_gatherings"),
    ("come_all_protest", "Приходьте всі, підтримаємо протест проти забудови", "viber_gatherings"),
    ("gather_uk", "Збираємося біля парку о 19:00, візьміть друзів", "viber_gatherings"),
    ("gather_ru", "Собираемся все вместе у фонтана", "viber_gatherings"),
    ("action_with_place", "Акція протесту на Майдані в суботу", "viber_gatherings"),
    ("protest_en", "Join the protest at the town square tomorrow", "viber_gatherings"),
    ("nazi_en", "Heil Hitler, brothers", "viber_war_propaganda"),
    ("swastika_uk", "Футболки зі свастикою зі знижкою", "viber_war_propaganda"),
    ("war_slogan_ru", "Слава России! Своих не бросаем", "viber_war_propaganda"),
    ("z_symbolics", "Zа наших, поддержи армию", "viber_war_propaganda"),
    ("v_symbolics", "Победа будет за нами, поVедим", "viber_war_propaganda"),
    ("viber_gift_uk", "Viber дарує вам 100 грн на покупки", "viber_sponsorship"),
    ("viber_from_uk", "Подарунок від Viber для наших клієнтів", "viber_sponsorship"),
    ("viber_sponsor_uk", "Розіграш! Спонсор Viber", "viber_sponsorship"),
    ("viber_sponsored_en", "Sponsored by Viber: win a phone", "viber_sponsorship"),
    ("viber_invites_uk", "Viber запрошує на відкриття магазину", "viber_sponsorship"),
    ("viber_cyr_uk", "«Вайбер дарує» знижку 10%", "viber_sponsorship"),
]

PASSES_ON_VIBER = [
    ("sale_action", "Акція: знижки 20% у нашому магазині"),
    ("sale_action_come", "Приходьте на акцію! Знижки до 30% до неділі"),
    ("come_all_sale", "Приходьте всі за новою колекцією, знижки до 50%"),
    ("sale_ru", "Акция в нашем магазине: скидка 15% на всё"),
    ("test_product", "Протестуйте нашу нову каву безкоштовно"),
    ("intend", "Ми збираємося відкрити новий магазин у травні"),
    ("collection", "Збори на новий сезон: нова колекція вже в продажу"),
    ("street_address", "Приходьте на вулицю Шевченка, 5: свіжа випічка"),
    ("viber_channel", "Підпишіться на наш канал у Viber та отримайте знижку"),
    ("antifascist_history", "Новий набір книжок з історії Києва"),
    ("vip", "VIP-зал і Wi-Fi для гостей кафе"),
]


@pytest.mark.parametrize("text,category", [c[1:] for c in REFUSED_ON_VIBER], ids=[c[0] for c in REFUSED_ON_VIBER])
def test_r_vib_10_refused_on_viber(text, category):
    v = content_screen(client=None, text=text, channel="viber")
    assert (v.outcome, v.category, v.reason) == ("refuse", category, "viber_prohibited"), v


@pytest.mark.parametrize("text,category", [c[1:] for c in REFUSED_ON_VIBER], ids=[c[0] for c in REFUSED_ON_VIBER])
def test_r_vib_10_viber_only_rules_do_not_screen_sms(text, category):
    v = content_screen(client=None, text=text, channel="sms")
    assert v.category != category and v.reason != "viber_prohibited"


@pytest.mark.parametrize("text", [c[1] for c in PASSES_ON_VIBER], ids=[c[0] for c in PASSES_ON_VIBER])
def test_r_vib_10_ordinary_texts_pass_on_viber(text):
    v = content_screen(client=None, text=text, channel="viber")
    assert v.passed, v


def test_r_vib_10_sms_rally_call_is_not_refused_by_the_viber_rules():
    assert content_screen(client=None, text="Viber дарує вам 100 грн на покупки", channel="sms").passed


def test_r_vib_10_rules_are_data_staff_can_switch_off():
    text = "Viber дарує вам 100 грн на покупки"
    assert content_screen(client=None, text=text, channel="viber").refused
    ContentRule.objects.filter(category="viber_sponsorship").update(active=False)
    assert content_screen(client=None, text=text, channel="viber").passed


def test_r_vib_10_api_answers_400_content_refused_with_the_category(api, viber_client):  # noqa: F811
    r = api.post("/api/v1/messages/", {"channel": "viber", "sender": "ViberShop", "recipients": [KYIVSTAR],
                                       "viber_type": "welcome",
                                       "text": "Viber дарує знижку! Welcome to ViberShop +380441234567"}, format="json")
    assert r.status_code == 400, r.json()
    body = r.json()
    assert (body["code"], body["category"], body["reason"]) == ("content_refused", "viber_sponsorship", "viber_prohibited")
    assert "Viber texts may not contain" in body["detail"]
    assert not Message.objects.exists()
