"""Seed word lists for the sender-name rules (R-SND-02, 03, 06). Staff extend them in admin.

Written by hand for this project: modest, real lists. Look-alike spellings (leet digits,
Cyrillic letters that look Latin) are matched by the rules, so each word appears once per
spelling people actually use. `*` before a word: it is refused anywhere inside a name too.
"""
from django.db import migrations

OPERATOR = """
*Kyivstar *Kievstar *Київстар *Киевстар *Vodafone *Водафон *lifecell *лайфселл *лайфсел Life Лайф
MTS МТС *Trimob *ТриМоб 3Mob *Intertelecom *Інтертелеком *Интертелеком *Ukrtelecom *Укртелеком
*djuice *Peoplenet *Beeline *Білайн *Билайн *Golden-Telecom
"""

OBSCENE = {
    "en": "*fuck *shit *cunt *bitch *whore *slut dick cock pussy *asshole *bastard *wanker *porn xxx nigger "
          "*faggot",
    "uk": "*хуй *хуя *пизд *бляд бля єбан єбат ебан ебат *мудак *підор *підар *залуп *гандон *шльондр "
          "*курва сука *срака *huy hui khuy xuy *pizd *blyad blya *yeban ebat *mudak *pidor *pidar *zalup "
          "*gandon suka *kurva *sraka",
    "ru": "*пидор *пидар *шлюха *сучка *дрочи  *shluha *shlyukha *suchka *drochi *huesos *хуесос",
}

GENERIC = """
SMS Info Inform Information Test Letter Message Messages Notify Notification Notice Alert Alerts Sender
Service Promo News Sale Sales Shop Store Delivery Taxi Bank Pharmacy Apteka Market Code OTP Verify Security
Support Admin NoReply Reklama Akcia Aktsiia Bonus Discount Company Office Team Mail Post Online Hello Privet
Mobile Phone Auto Sms-Info Inform-SMS
"""

FIRST_NAMES = """
Vasya Vasyl Vasily Masha Maria Mariia Katerina Kateryna Katya Olena Elena Lena Olga Olha Ivan Petro Petr
Andriy Andrii Andrey Oleksandr Alexander Alexandr Sasha Dmytro Dmitry Serhiy Sergey Natalia Natalya Natasha
Tetiana Tatiana Tanya Iryna Irina Yulia Julia Anna Oksana Svitlana Svetlana Viktor Mykola Nikolai Volodymyr
Vladimir Yurii Yuri Pavlo Pavel Mykhailo Mikhail Taras Bohdan Anastasia Nastya Dasha Daria Sofia Vika Viktoria
Anton Artem Maksym Maxim Denys Denis Ihor Igor Oleh Oleg Vitalii Valentyna Halyna Galina Lyudmyla Lyudmila
Nina Inna Alla Nadiya Nadia Liubov Lyuba Roman Yaroslav Stepan Vadym Vadim John Michael Mary Kate David
"""

BRANDS = """
*Nokia *Samsung Apple *CocaCola *Coca-Cola *Pepsi *Google *Microsoft *McDonalds *Nike *Adidas *Toyota BMW
*Mercedes *Rozetka *NovaPoshta *Nova-Poshta *Ukrposhta *PrivatBank *Monobank *Oschadbank *Epicentr *Foxtrot
Comfy ATB *Silpo *Auchan *Citrus Allo *Eldorado *Uklon *Glovo *Raiffeisen *Naftogaz *Ukrnafta WOG OKKO
*Nestle *Philips Sony *Huawei *Xiaomi IKEA Zara *Lenovo Intel *Amazon *Kyivenergo *Ukrzaliznytsia *Prom.ua
*Olx *Kasta Eva *Watsons *Brocard *Moyo *Pumb *Sense-Bank *Abank *Ukrgasbank *Ukreximbank
"""

NEVER_NATIONAL = """
*PayPal Visa *Mastercard *Payoneer *Skrill *WebMoney *Qiwi *Stripe Wise *Revolut *ApplePay *GooglePay
*Facebook *Instagram *Twitter *TikTok *LinkedIn *VKontakte VK *Odnoklassniki *Snapchat *Pinterest *WhatsApp
*Telegram *Viber *Skype *WeChat Zoom *Discord *Steam *PlayStation Xbox *Blizzard *Gmail *Outlook *Yahoo
*MailRu *Dropbox *WeTransfer *Booking *Airbnb *Expedia HSBC *Barclays *Citibank *Santander *Sberbank
*Lufthansa *Ryanair *WizzAir *Turkish-Airlines *Emirates *QatarAirways LOT *Twilio *Nexmo *Vonage *Infobip
*Clickatell *MessageBird *Sinch *Plivo SMSC *Orange *T-Mobile *Megafon *Tele2 *Verizon *Vodacom O2 Yota
*Kcell *Velcom
SMS Info Inform Information Notify Notification Message Messages Alert Alerts Sender SMS-Info
"""


def _rows():
    def words(text):
        for token in text.split():
            yield token.lstrip("*"), token.startswith("*")

    for word, anywhere in words(OPERATOR):
        yield "operator", word, anywhere, ""
    for lang, text in OBSCENE.items():
        for word, anywhere in words(text):
            yield "obscene", word, anywhere, lang
    for word, anywhere in words(GENERIC):
        yield "generic", word, anywhere, ""
    for word, anywhere in words(FIRST_NAMES):
        yield "first_name", word, anywhere, ""
    for word, anywhere in words(BRANDS):
        yield "brand", word, anywhere, ""
    for word, anywhere in words(NEVER_NATIONAL):
        yield "never_national", word, anywhere, ""


def seed(apps, schema_editor):
    NameWord = apps.get_model("senders", "NameWord")
    seen = set()
    rows = []
    for kind, word, anywhere, lang in _rows():
        if (kind, word.upper()) in seen:
            continue
        seen.add((kind, word.upper()))
        rows.append(NameWord(kind=kind, word=word, match_anywhere=anywhere, language=lang, note="seed"))
    NameWord.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("senders", "NameWord").objects.filter(note="seed").delete()


class Migration(migrations.Migration):
    dependencies = [("senders", "0002_sender_channels_proofs_national")]
    operations = [migrations.RunPython(seed, unseed)]
