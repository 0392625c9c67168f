"""Content screening (R-CMP-01, 02, 04, 10, 11): a table of texts with expected verdicts against
the seeded rules, in Ukrainian, Russian, English, mixed scripts and obfuscated, and ordinary texts
that look close and must pass."""
import pytest

from compliance.content import content_config_delete, content_config_save, content_engine_get
from compliance.models import AllowListEntry, Brand, ContentRule
from compliance.screening import keys_of
from compliance.services import content_screen
from tests.factories import make_client

P, R, V = "pass", "refuse", "review"

# R-CMP-01: prohibited content, refused. (id, text, category)
PROHIBITED = [
    ("casino_uk", "Найкраще казино України чекає на тебе", "gambling"),
    ("casino_ru", "Лучшее онлайн казино, бонус 200%", "gambling"),
    ("casino_en", "Play at our online casino tonight", "gambling"),
    ("casino_mixed_script", "kaзино Вулкан: бонус для нових гравців", "gambling"),
    ("casino_dotted", "Заходь у c.a.s.i.n.o і вигравай", "gambling"),
    ("casino_spaced_cyr", "к а з и н о з бонусом", "gambling"),
    ("casino_leet", "k4zin0 online, bonus 500", "gambling"),
    ("casino_fullwidth", "ｃａｓｉｎｏ ｂｏｎｕｓ", "gambling"),
    ("casino_zero_width", "ка\u200bзи\u200bно чекає", "gambling"),
    ("casino_repeated", "казииииино!!! заходь", "gambling"),
    ("casino_dashes", "к-а-з-и-н-о бонус", "gambling"),
    ("casino_greek_alpha", "cαsino night", "gambling"),
    ("casino_math_bold", "𝐜𝐚𝐬𝐢𝐧𝐨 tonight", "gambling"),
    ("casino_caps_dotted", "К.А.З.И.Н.О відкрито", "gambling"),
    ("casino_translit", "kazyno bonus", "gambling"),
    ("casino_inflected", "Грай у казино щодня", "gambling"),
    ("betting_uk", "Зробіть ставку на футбол і отримайте фрібет", "gambling"),
    ("betting_ru", "Сделай ставку на матч прямо сейчас", "gambling"),
    ("bookmaker", "Букмекерська контора дарує бонус", "gambling"),
    ("1xbet", "Реєструйся на 1xbet", "gambling"),
    ("poker", "Турнір з покеру онлайн", "gambling"),
    ("jackpot", "Зірви джекпот сьогодні", "gambling"),
    ("slots", "Нові слоти вже доступні", "gambling"),
    ("roulette_en", "Spin the roulette and win", "gambling"),
    ("freespins", "100 фріспінів новим гравцям", "gambling"),
    ("alcohol_uk", "Знижки на алкоголь до -30%", "alcohol"),
    ("alcohol_inside_word", "Слабоалкогольні напої за півціни", "alcohol"),
    ("alcohol_ru", "Алкогольные напитки с доставкой", "alcohol"),
    ("beer", "Купуйте пиво зі знижкою", "alcohol"),
    ("vodka_ru", "Водка премиум со скидкой", "alcohol"),
    ("horilka", "Горілка місцевого виробництва", "alcohol"),
    ("cognac", "Коньяк до свята -20%", "alcohol"),
    ("whisky_en", "Whisky tasting this Friday", "alcohol"),
    ("champagne", "Шампанське до Нового року", "alcohol"),
    ("stressed_alcohol", "алкого\u0301льні напої", "alcohol"),
    ("tobacco_uk", "Тютюн і сигарети з доставкою", "tobacco"),
    ("vape", "Нові вейпи та рідини", "tobacco"),
    ("iqos", "IQOS стіки зі знижкою", "tobacco"),
    ("hookah", "Кальянна: кальян у подарунок", "tobacco"),
    ("cigarettes_en", "Cheap cigarettes delivered", "tobacco"),
    ("drugs_uk", "Наркотики з доставкою", "drugs"),
    ("cannabis", "Канабіс легально", "drugs"),
    ("cocaine_leet", "c0ca1ne fast", "drugs"),
    ("marijuana_en", "Best marijuana in town", "drugs"),
    ("mephedrone_ru", "Мефедрон закладки", "drugs"),
    ("weapon_uk", "Продаж зброї без дозволу", "weapons"),
    ("pistol_ru", "Пистолет травматический купить", "weapons"),
    ("rifle_en", "Rifle sale this weekend", "weapons"),
    ("crypto_uk", "Інвестуй у криптовалюту сьогодні", "crypto"),
    ("bitcoin", "Bitcoin росте: купуй зараз", "crypto"),
    ("forex_ru", "Форекс обучение и сигналы", "crypto"),
    ("binary_options", "Бинарные опционы: доход от 100$", "crypto"),
    ("tarot", "Розклад таро онлайн", "esoteric"),
    ("numerology", "Нумерологія: дізнайся свою долю", "esoteric"),
    ("horoscope_ru", "Гороскоп и привороты", "esoteric"),
    ("healer", "Цілителька зніме порчу", "esoteric"),
    ("porn", "Porn videos free", "adult"),
    ("erotic_uk", "Еротичний масаж", "adult"),
    ("intim_ru", "Интим услуги круглосуточно", "adult"),
    ("escort_en", "VIP escort service", "adult"),
    ("politics_uk", "Голосуйте за нашого кандидата", "politics"),
    ("politics_ru", "Политическая агитация запрещена? Нет!", "politics"),
    ("politics_en", "Vote for John on Sunday", "politics"),
    ("religion_uk", "Запрошуємо на молитву в неділю", "religion"),
    ("religion_ru", "Иисус любит тебя", "religion"),
    ("religion_en", "Read the Bible every day", "religion"),
    ("obscene_uk", "Ти мудак", "obscene"),
    ("obscene_ru", "Пиздец какие цены", "obscene"),
    ("obscene_en", "What the fuck is this price", "obscene"),
    ("obscene_leet_en", "f*ck this, motherfucker", "obscene"),
    ("obscene_mixed", "xyй", "obscene"),
    ("threat_uk", "Я тебе вбʼю, якщо не заплатиш", "threats"),
    ("threat_ru", "Мы знаем где ты живешь", "threats"),
    ("threat_en", "We know where you live", "threats"),
    ("slur_ru", "Жиды виноваты", "discrimination"),
    ("slur_en", "No faggot allowed", "discrimination"),
    ("fraud_uk", "Ваша картка заблокована. Введіть CVV у відповідь", "fraud"),
    ("fraud_ru", "Ваша карта заблокирована, подтвердите данные карты", "fraud"),
    ("fraud_en", "Your card has been blocked, verify your card now", "fraud"),
    ("nigerian_en", "I am a Nigerian prince with 10 million dollars for you", "nigerian"),
    ("nigerian_uk", "Спадок від родича: мільйон доларів чекає на вас", "nigerian"),
    ("spam_uk", "Легкий заробіток без вкладень!", "spam"),
    ("spam_ru", "Купить базу номеров недорого", "spam"),
    ("other_provider", "Дешевші SMS розсилки у TurboSMS", "messengers"),
]

# R-CMP-02: held for staff review. (id, text, category)
REVIEW = [
    ("lottery_uk", "Беріть участь у лотереї та вигравайте", "lottery"),
    ("lottery_ru", "Розыгрыш iPhone среди покупателей", "lottery"),
    ("giveaway_en", "Giveaway: win a new bike", "lottery"),
    ("contest_uk", "Конкурс малюнків для всієї родини", "lottery"),
    ("prize_uk", "Отримайте приз за покупку", "lottery"),
    ("you_won", "Вітаємо, ви виграли подарунок", "lottery"),
    ("credit_uk", "Кредит готівкою під 0% на 30 днів", "finance"),
    ("loan_ru", "Займ на карту за 5 минут", "finance"),
    ("mortgage_uk", "Іпотека від 7% річних", "finance"),
    ("invest_en", "Invest in our fund with guaranteed return", "finance"),
    ("insurance_uk", "Страхування авто зі знижкою", "finance"),
    ("deposit_uk", "Відкрийте депозит сьогодні", "finance"),
    ("pharmacy_uk", "Аптека: знижки на вітаміни", "medicine"),
    ("supplement_ru", "Биодобавки для иммунитета", "medicine"),
    ("pills_en", "Weight loss pills in stock", "medicine"),
    ("bad_uk", "Новий БАД для суглобів", "medicine"),
    ("meds_uk", "Ліки з доставкою додому", "medicine"),
    ("charity_uk", "Благодійний збір для притулку", "organizations"),
    ("ngo_ru", "Общественная организация приглашает волонтёров", "organizations"),
    ("pesticide", "Пестициди для саду зі знижкою", "licensed"),
    ("minors_uk", "Табір для неповнолітніх: запис відкрито", "minors"),
    ("personal_data_uk", "Надішліть паспортні дані у відповідь", "personal_data"),
    ("personal_data_en", "Reply with your personal data to claim", "personal_data"),
]

# R-CMP-10: operator mention or impersonation, refused.
OPERATOR = [
    ("kyivstar_latin", "Kyivstar дарує 100 ГБ інтернету"),
    ("kyivstar_cyr_a", "Kyivstаr: ваш бонус чекає"),  # Cyrillic а
    ("kyivstar_uk", "Київстар: поповніть рахунок"),
    ("kyivstar_ru", "Киевстар дарит минуты"),
    ("kyivstar_inflected", "Абонентам Київстару знижка"),
    ("vodafone", "Vodafone Ukraine: новий тариф"),
    ("vodafone_cyr", "Водафон нараховує бонуси"),
    ("lifecell", "lifecell: ваш номер виграв"),
    ("lifecell_cyr", "Лайфселл дарує гігабайти"),
    ("mts_ru", "МТС Украина: бонусы"),
    ("kyivstar_leet", "Ky1vst4r бонус"),
    ("kyivstar_domain", "Деталі на kyivstar.ua"),
    ("vodafone_mixed_script", "Vоdаfоnе: бонус"),
    ("kyivstar_caps_yi", "КиЇвстар бонус"),
]

# Links (R-CMP-01 fraud/phishing): (id, text, reason)
LINKS = [
    ("shortener_bitly", "Знижки тут: bit.ly/abc123", "url_shortener"),
    ("shortener_https", "Деталі https://cutt.ly/xyz", "url_shortener"),
    ("shortener_tinyurl", "See tinyurl.com/y7abc", "url_shortener"),
    ("shortener_goo", "Акція: goo.gl/abcd", "url_shortener"),
    ("phishing_privat", "Приватбанк: карту заблоковано, перейдіть privat24-secure.top", "phishing_link"),
    ("phishing_mono", "Підтвердіть платіж: monobank-pay.online/confirm", "phishing_link"),
    ("phishing_diia", "Отримайте виплату на diia-gov.site", "phishing_link"),
    ("phishing_gov", "Державна допомога: https://gov-ua.help/pay", "phishing_link"),
    ("phishing_oschad", "Ощадбанк: оновіть дані oschadbank.com-login.net", "phishing_link"),
    ("phishing_ip", "Увійдіть http://185.22.33.44/login", "phishing_link"),
    ("phishing_cyrillic_host", "Вхід: приват24.укр/login", "phishing_link"),
    ("phishing_punycode", "Увійдіть: xn--80aacc3aqukjx.xn--j1amh/login", "phishing_link"),  # приватбанк.укр
    ("phishing_brand_subdomain", "Увійдіть http://privatbank.ua.secure-login.com/", "phishing_link"),
    ("suspicious_tld", "Завантажте файл invoice.zip", "phishing_link"),
    ("phishing_kyivstar_host", "Бонус на kyivstar-bonus.com", "operator_mention"),
]

# Ordinary texts that must pass (service messages, no client name needed).
INNOCENT = [
    ("order_ready", "Ваше замовлення №12345 готове до видачі. Сума 450 грн."),
    ("delivery_code", "Код для отримання посилки: 4821. Нікому не повідомляйте."),
    ("otp_ru", "Ваш код подтверждения: 739214"),
    ("otp_en", "Your verification code is 552901"),
    ("appointment", "Нагадуємо: запис до стоматолога завтра о 10:30."),
    ("appointment_ru", "Напоминаем о записи к парикмахеру в пятницу в 15:00"),
    ("taxi", "Таксі прибуде за 5 хв. Авто: сірий Skoda, АА1234ВВ"),
    ("dress", "Нова сукня вже чекає на вас у примірочній"),
    ("interest_rate", "Процентна ставка за вашим договором не змінилась"),
    ("stavka_word", "Ставка податку залишилась тією ж"),
    ("action_diia_word", "Дія акції до 31.12"),
    ("hostile_word", "Ворожість у коментарях ми видаляємо"),
    ("heroine", "Героїня нашого фільму — звичайна вчителька"),
    ("hedgehog", "Наш магазин відчинено до 20:00"),
    ("engagement", "Займатися спортом разом веселіше"),
    ("doctor", "Травматолог приймає з 9 до 17"),
    ("library", "Бібліотека працює у суботу"),
    ("en_bad_weather", "Bad weather: delivery may be late"),
    ("en_her", "Her parcel is ready for pickup"),
    ("en_met", "We met all your requirements"),
    ("en_hue", "Choose any hue you like"),
    ("en_class", "Class schedule updated"),
    ("en_assess", "We assess your application in 2 days"),
    ("en_scunthorpe", "Delivery to Scunthorpe tomorrow"),
    ("en_shipping", "Your shipping label is ready"),
    ("ru_insult_like", "Оскорблений в чате не будет"),
    ("ru_table", "Столик забронирован на 19:00"),
    ("uk_parcel_numbers", "Посилка 20450001234567 прибула у відділення №5"),
    ("uk_dates", "Оплату 1 250,00 грн отримано 12.05.2026"),
    ("uk_tos", "Оновлено умови, т.д. та інше"),
    ("uk_price_leetish", "Ціна 100грн, 200грн та 500 грн"),
    ("uk_own_domain", "Трек-номер на сайті shop.com.ua/track"),
    ("bank_own_domain", "Приватбанк: деталі на privatbank.ua"),
    ("mono_own", "monobank: виписка в застосунку, monobank.ua"),
    ("uk_sale_no_ad", "Розпродаж! Знижки до -50% на взуття"),
    ("uk_school", "Батьківські збори у школі в четвер"),
    ("uk_weather", "Штормове попередження: сильний вітер"),
    ("uk_utility", "Планове відключення води 14.05 з 9:00 до 18:00"),
    ("ru_delivery", "Курьер будет у вас с 12 до 14"),
    ("en_receipt", "Payment received, thank you!"),
    ("uk_gym", "Тренування з йоги перенесено на 19:00"),
    ("uk_apostrophe", "Обов'язково візьміть паспорт при отриманні"),
    ("uk_metro", "Метро працює до 23:00"),
    ("uk_bandages", "Бадьорого ранку! Кава за 35 грн"),
    ("uk_gadayu", "Гадаю, вам сподобається новий сервіс"),
    ("ru_credit_card_word", "Спасибо за визит!"),
    ("en_commit", "Your subscription renews on May 1"),
    ("uk_emoji", "Дякуємо за покупку 😊"),
    ("mixed_sku", "Артикул A-12-B-34 є в наявності"),
    ("uk_sum", "Сума до сплати: 1 999 грн. Рахунок №A-77"),
    ("initials", "Ваш лікар: І. В. Петренко"),
    ("en_initials", "Signed: J. R. R. Tolkien fan club"),
]

# R-CMP-04/11: advertising must name the company and carry a contact phone. (id, text, outcome, reason)
ADVERTISING = [
    ("named_with_phone", "Квітковий Рай: знижка 20% на букети! Тел. 067 123 45 67", P, ""),
    ("named_with_intl_phone", "Квітковий Рай дарує листівку. +380 (67) 123-45-67", P, ""),
    ("named_by_sender", "FLORA: нова колекція. 0441234567", P, ""),
    ("hotline", "Квітковий Рай: замовлення 0 800 123 456", P, ""),
    ("no_company", "Знижка 20% на букети! Тел. 067 123 45 67", R, "ad_missing_company"),
    ("no_phone", "Квітковий Рай: знижка 20% на букети!", R, "ad_missing_phone"),
    ("neither", "Знижка 20% на все!", R, "ad_missing_company"),
    ("company_obfuscated_ok", "КВІТКОВИЙ  РАЙ — весняний розпродаж, 0671234567", P, ""),
]


@pytest.fixture
def shop(db):
    return make_client(name='ТОВ "Квітковий Рай"')


@pytest.mark.django_db
@pytest.mark.parametrize("text,category", [(t, c) for _i, t, c in PROHIBITED], ids=[i for i, *_ in PROHIBITED])
def test_r_cmp_01_prohibited_content_refused(text, category):
    v = content_screen(client=None, text=text, message_type="service", sender=None)
    assert (v.outcome, v.reason, v.category) == (R, "content_prohibited", category), v


@pytest.mark.django_db
@pytest.mark.parametrize("text,category", [(t, c) for _i, t, c in REVIEW], ids=[i for i, *_ in REVIEW])
def test_r_cmp_02_review_categories_held_for_review(text, category):
    v = content_screen(client=None, text=text, message_type="service", sender=None)
    assert (v.outcome, v.reason, v.category) == (V, "content_review", category), v


@pytest.mark.django_db
@pytest.mark.parametrize("text", [t for _i, t in OPERATOR], ids=[i for i, _t in OPERATOR])
def test_r_cmp_10_operator_mention_refused(text):
    v = content_screen(client=None, text=text, message_type="service", sender=None)
    assert (v.outcome, v.reason, v.category) == (R, "operator_mention", "operator"), v


@pytest.mark.django_db
@pytest.mark.parametrize("text,reason", [(t, r) for _i, t, r in LINKS], ids=[i for i, *_ in LINKS])
def test_r_cmp_01_shorteners_and_phishing_links_refused(text, reason):
    v = content_screen(client=None, text=text, message_type="service", sender=None)
    assert (v.outcome, v.reason) == (R, reason), v


@pytest.mark.django_db
@pytest.mark.parametrize("text", [t for _i, t in INNOCENT], ids=[i for i, _t in INNOCENT])
def test_r_cmp_01_ordinary_texts_pass(text):
    v = content_screen(client=None, text=text, message_type="service", sender=None)
    assert v.outcome == P, v


@pytest.mark.django_db
@pytest.mark.parametrize("text,outcome,reason", [(t, o, r) for _i, t, o, r in ADVERTISING],
                         ids=[i for i, *_ in ADVERTISING])
def test_r_cmp_04_advertising_names_company_and_phone(shop, text, outcome, reason):
    v = content_screen(client=shop, text=text, message_type="advertising", sender="FLORA")
    assert (v.outcome, v.reason) == (outcome, reason), v


def test_the_table_holds_at_least_150_texts():
    assert len(PROHIBITED) + len(REVIEW) + len(OPERATOR) + len(LINKS) + len(INNOCENT) + len(ADVERTISING) >= 150


@pytest.mark.django_db
def test_r_cmp_01_spans_point_at_the_matched_words():
    text = "Сьогодні у kaзино бонус"
    v = content_screen(client=None, text=text)
    [start, end] = v.findings[0].spans[0]
    assert text[start:end] == "kaзино"
    v = content_screen(client=None, text="Заходь: c.a.s.i.n.o!")
    assert [("Заходь: c.a.s.i.n.o!"[a:b]) for a, b in v.findings[0].spans] == ["c.a.s.i.n.o!"]


@pytest.mark.django_db
def test_r_cmp_01_messengers_refused_in_viber_texts_only():
    viber = content_screen(client=None, text="Пишіть нам у Телеграм", channel="viber")
    assert (viber.outcome, viber.reason) == (R, "messenger_mention")
    link = content_screen(client=None, text="Our chat: wa.me/380671234567", channel="viber")
    assert (link.outcome, link.reason) == (R, "messenger_mention")
    assert content_screen(client=None, text="Пишіть нам у Телеграм", channel="sms").passed


@pytest.mark.django_db
def test_r_cmp_01_bank_named_with_another_domain_held_for_review():
    v = content_screen(client=None, text="Оплата карткою Приватбанку на сайті shop.com.ua")
    assert (v.outcome, v.reason) == (V, "brand_link_review")


@pytest.mark.django_db
def test_refuse_outranks_review():
    v = content_screen(client=None, text="Кредит на казино")
    assert (v.outcome, v.category) == (R, "gambling")
    assert {f.category for f in v.findings} == {"gambling", "finance"}


@pytest.mark.django_db
def test_client_facing_detail_names_no_rule_id():
    v = content_screen(client=None, text="Найкраще казино")
    assert v.detail and "R-CMP" not in v.detail and "gambling" in v.detail.lower()


@pytest.mark.django_db
def test_r_cmp_01_rule_added_in_db_is_seen_by_next_screening(admin_user):
    assert content_screen(client=None, text="Свіжий кавун щодня").passed
    rule = content_config_save(obj=ContentRule(category="spam", patterns="кавун", match_mode="word_start",
                                               action="refuse"), actor=admin_user)
    v = content_screen(client=None, text="Свіжий кавун щодня")
    assert (v.outcome, v.category) == (R, "spam")
    rule.action = "review"
    content_config_save(obj=rule, actor=admin_user, changed_fields=["action"], before={"action": "refuse"})
    assert content_screen(client=None, text="Свіжий кавун щодня").needs_review
    content_config_delete(obj=rule, actor=admin_user)
    assert content_screen(client=None, text="Свіжий кавун щодня").passed


@pytest.mark.django_db
def test_r_cmp_01_rule_edited_in_admin_is_seen_and_audited(admin_client):
    from accounts.models import AuditEvent
    rule = ContentRule.objects.get(category="gambling", match_mode="word_start")
    assert content_screen(client=None, text="Нове казино").refused
    data = {"category": rule.category, "name": rule.name, "patterns": "\n".join(p for p in rule.pattern_list()
                                                                                if p not in ("казино", "kazino", "casino")),
            "languages": rule.languages, "match_mode": rule.match_mode, "action": rule.action, "active": "on",
            "notes": ""}
    r = admin_client.post(f"/admin/compliance/contentrule/{rule.pk}/change/", data)
    assert r.status_code == 302, r.content[:2000]
    assert content_screen(client=None, text="Нове казино").passed
    event = AuditEvent.objects.get(code="compliance.contentrule.changed")
    assert "казино" in event.details["before"]["patterns"] and "казино" not in event.details["after"]["patterns"]


@pytest.mark.django_db
def test_r_cmp_01_rule_switched_off_in_db_no_longer_matches():
    assert content_screen(client=None, text="Нове казино").refused
    ContentRule.objects.filter(category="gambling").update(active=False)  # any write bumps the version
    assert content_screen(client=None, text="Нове казино").passed


@pytest.mark.django_db
def test_allow_list_word_for_one_client(shop):
    other = make_client(name="Other")
    AllowListEntry.objects.create(kind="word", value="Kyivstar", client=shop)
    assert content_screen(client=shop, text="Kyivstar: новий тариф").passed
    assert content_screen(client=other, text="Kyivstar: новий тариф").refused


@pytest.mark.django_db
def test_allow_list_domain_lets_a_link_through():
    assert content_screen(client=None, text="Деталі: cutt.ly/abc").refused
    AllowListEntry.objects.create(kind="domain", value="cutt.ly")
    assert content_screen(client=None, text="Деталі: cutt.ly/abc").passed


@pytest.mark.django_db
def test_r_cmp_10_new_operator_brand_in_db_is_refused():
    Brand.objects.create(kind="operator", name="Nowamobile", aliases="Новамобайл")
    assert content_screen(client=None, text="Новамобайл дарує хвилини").reason == "operator_mention"


@pytest.mark.django_db
def test_engine_is_compiled_once_per_rules_version(django_assert_num_queries):
    first = content_engine_get()
    with django_assert_num_queries(1):  # the version counters only
        assert content_engine_get() is first


@pytest.mark.django_db
def test_collision_filter_seeded_stems_do_not_start_frequent_words():
    """The seeded word-start stems against ordinary frequent words: none of these may trip a rule
    (they are the words the stems were chosen around)."""
    frequent = ["сукня", "ставка", "гадаю", "героїня", "займатися", "бібліотека", "травматолог", "ворожість",
                "призначення", "метро", "секунда", "кредо", "апельсин", "class", "assess", "бадьорий", "hue",
                "her", "bad", "met", "інтерес", "картка", "пиріг", "бляшанка", "сигнал", "секція"]
    for word in frequent:
        assert content_screen(client=None, text=word).passed, word


def test_normalization_keys_meet_across_scripts_and_obfuscation():
    assert keys_of("казино") & keys_of("kaзино")
    assert keys_of("casino") & keys_of("c.a.s.i.n.o")
    assert keys_of("казино") & keys_of("k4zin0")
    assert keys_of("Kyivstar") & keys_of("Київстар")
    assert keys_of("casino") & keys_of("ｃａｓｉｎｏ")


@pytest.mark.django_db
def test_r_cmp_01_regex_rule_matches_lowercased_text():
    ContentRule.objects.create(category="fraud", patterns=r"\bкод\s+з\s+смс\s+у\s+відповідь", match_mode="regex",
                               action="refuse")
    v = content_screen(client=None, text="Надішліть КОД з СМС у відповідь")
    assert (v.outcome, v.category) == (R, "fraud")


@pytest.mark.django_db
def test_r_cmp_01_spans_of_a_word_spelled_letter_by_letter():
    text = "Грай: к а з и н о щодня"
    v = content_screen(client=None, text=text)
    assert [text[a:b] for a, b in v.findings[0].spans] == ["к а з и н о"]


@pytest.mark.django_db
def test_content_rule_with_a_broken_regex_is_rejected(admin_user):
    from django.core.exceptions import ValidationError
    with pytest.raises(ValidationError):
        content_config_save(obj=ContentRule(category="spam", patterns="(unclosed", match_mode="regex"),
                            actor=admin_user)


# The only words among the 5,000 most frequent of each language that the seeded rules flag: every
# one is a word the rules are about. A new rule that trips an ordinary frequent word fails here.
FREQUENT_WORDS_FLAGGED = {
    "uk": {"порошенко", "церкви", "порошенка", "зброї", "зброю", "тимошенко", "церква", "бог", "путіна", "лікування",
           "путін", "політичних", "бога", "конкурс", "зброя", "блядь", "політичні", "політичної", "конкурсу",
           "політична", "секс", "сука", "зброєю", "політичний", "блять", "церкві", "кредит", "ліки", "політичного",
           "бля", "конкурсі", "пиво", "богу", "хуй", "зеленський", "вино", "політичну", "церков", "кредити", "хуйня",
           "зеленського", "пива", "інвестицій", "кредиту", "інвестиції"},
    "ru": {"путин", "бог", "оружие", "церкви", "церковь", "бога", "политической", "порошенко", "оружия",
           "политических", "путина", "конкурс", "лечение", "богу", "политические", "конкурса", "секс", "лечения",
           "политического", "конкурсе", "оружием", "вино", "кредит", "политическая", "политический", "пиво", "приз",
           "школьников", "сука", "мтс", "пива", "блядь"},
    "en": {"shit", "fuck", "fucking", "political", "sex", "church", "credit", "jesus", "gun", "insurance",
           "investment", "bitch", "weapons", "wine", "medicine", "dick", "loan", "guns", "alcohol", "fucked", "prize",
           "bible", "weapon", "loans", "porn", "bullshit", "charity", "sexy", "mortgage", "asshole", "investors",
           "fuckin", "invest", "bonds", "investments", "bitcoin", "deposit", "securities"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
def test_r_cmp_01_collision_filter_frequent_words_are_not_flagged(lang):
    wordfreq = pytest.importorskip("wordfreq")
    engine = content_engine_get()
    flagged = {w for w in wordfreq.top_n_list(lang, 5000) if not engine.screen(w, with_spans=False).passed}
    assert flagged <= FREQUENT_WORDS_FLAGGED[lang], sorted(flagged - FREQUENT_WORDS_FLAGGED[lang])


@pytest.mark.django_db
def test_content_screen_many_reads_the_rules_version_once(shop, django_assert_num_queries):
    from compliance.services import content_screen_many
    content_engine_get()  # compiled outside the count
    texts = [f"Квітковий Рай: букет для клієнта {i}, тел. 0671234567" for i in range(500)] + ["Найкраще казино"]
    with django_assert_num_queries(1):
        verdicts = content_screen_many(client=shop, texts=texts, message_type="advertising")
    assert [v.outcome for v in verdicts] == [P] * 500 + [R]


@pytest.mark.django_db
def test_staff_try_a_text_page_shows_the_verdict_with_the_words_marked(admin_client):
    assert b"Try a text" in admin_client.get("/admin/compliance/contentrule/").content
    r = admin_client.post("/admin/compliance/contentrule/try/", {"text": "Грай у <b>kaзино</b>", "message_type": "service",
                                                                 "channel": "sms"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "Verdict: refuse" in body and "<mark>&lt;b&gt;kaзино&lt;/b&gt;</mark>" in body


def test_text_key_is_the_same_for_spellings_of_one_text():
    from compliance.screening import text_key
    assert text_key("Знижка 20% на ВСЕ!") == text_key("знижка  20%  на все") == text_key("Знижкa 20% на всe")
    assert text_key("Знижка 20% на все") != text_key("Знижка 30% на все")


@pytest.mark.django_db
def test_r_cmp_01_refusal_is_a_content_refused_error_with_category_and_no_rule_id():
    from compliance.services import ContentRefused, content_assert_sendable
    with pytest.raises(ContentRefused) as caught:
        content_assert_sendable(content_screen(client=None, text="Найкраще казино"))
    err = caught.value
    assert (err.code, err.status, err.extra["category"], err.extra["reason"]) == (
        "content_refused", 400, "gambling", "content_prohibited")
    assert "R-CMP" not in err.detail
    held = content_assert_sendable(content_screen(client=None, text="Кредит готівкою"))
    assert held.needs_review and held.reason == "content_review"


@pytest.mark.django_db
def test_screening_admin_lists_load_without_a_query_per_row(admin_client, django_assert_max_num_queries):
    for i in range(5):
        AllowListEntry.objects.create(kind="word", value=f"слово{i}", client=make_client(name=f"C{i}"))
    for url in ["/admin/compliance/contentrule/", "/admin/compliance/brand/", "/admin/compliance/linkdomain/",
                "/admin/compliance/allowlistentry/"]:
        with django_assert_max_num_queries(12):
            assert admin_client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("text,category", [
    ("DemoShop: Аптека, знижки на ліки до неділі. Тел. 0441234567", "medicine"),
    ("DemoShop: розіграш призів серед покупців, лотерея до 31.12. Тел. 0441234567", "lottery"),
])
def test_r_cmp_14_advertising_content_requirements_held_for_review(text, category):
    """Advertising of medicines (the self-medication warning, over-the-counter only) or a lottery
    or contest (dates, terms; state lotteries only) is checked by staff before it goes: held for
    review, not passed, even when it names the company and carries a phone."""
    v = content_screen(client=None, text=text, message_type="advertising", sender="DemoShop")
    assert v.needs_review and v.category == category
