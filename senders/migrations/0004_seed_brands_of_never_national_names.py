"""Data: the brands among the never-national names (international payment systems, social
networks, OTT apps, foreign banks and airlines, SMS gateways, foreign operators) are also
well-known brands, so a client using one needs proof of the right to it (R-SND-03). Dictionary
words among them (Wise, Zoom, Orange, …) are left out: a fruit shop may be called Orange."""
from django.db import migrations

BRANDS = """
*PayPal *Mastercard *Payoneer *Skrill *WebMoney *Qiwi *Stripe *Revolut *ApplePay *GooglePay
*Facebook *Instagram *Twitter *TikTok *LinkedIn *VKontakte *Odnoklassniki *Snapchat *Pinterest *WhatsApp
Viber *Skype *WeChat *PlayStation Xbox *Blizzard *Gmail *Yahoo *MailRu *Dropbox *WeTransfer *Airbnb
*Expedia HSBC *Barclays *Citibank *Santander *Sberbank *Lufthansa *Ryanair *WizzAir *Turkish-Airlines
*Emirates *QatarAirways *Twilio *Nexmo *Vonage *Infobip *Clickatell *MessageBird *Sinch *Plivo *T-Mobile
*Megafon *Tele2 *Verizon *Vodacom *Kcell *Velcom
"""
NOTE = "seed: brand among never-national names"


def seed(apps, schema_editor):
    NameWord = apps.get_model("senders", "NameWord")
    existing = {w.upper() for w in NameWord.objects.filter(kind="brand").values_list("word", flat=True)}
    rows = [NameWord(kind="brand", word=token.lstrip("*"), match_anywhere=token.startswith("*"), note=NOTE)
            for token in BRANDS.split() if token.lstrip("*").upper() not in existing]
    NameWord.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("senders", "NameWord").objects.filter(kind="brand", note=NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("senders", "0003_seed_name_words")]
    operations = [migrations.RunPython(seed, unseed)]
