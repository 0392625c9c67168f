"""The Send page's Viber tab (R-VIB-02, R-VIB-03, R-SND-07): the form, the live preview's markup,
the uploaded picture checked with Pillow and served, and the Viber service's refusals shown as form
errors, never a 500. The service itself (messaging.viber.service.viber_send) is replaced here by a
recorder: what the page hands it is what these tests check."""
import io
import types
import uuid
from decimal import Decimal

import pytest
from djmoney.money import Money
from django.urls import reverse
from PIL import Image

from messaging.exceptions import MessagingError
from messaging.forms import ViberSendForm
from tests.factories import SenderNameFactory
from tests.messaging.viber_fixtures import viber_client  # noqa: F401

URL = "/send/?channel=viber"


def _png(size=(40, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (115, 96, 242)).save(out, fmt)
    return out.getvalue()


def _upload(content: bytes, name="sale.png", content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def _data(**overrides):
    data = {"channel": "viber", "sender": "AcmeViber", "viber_type": "advertising",
            "recipients": "0671234567\r\n0501234567", "text": "Spring sale!\r\n-20% on everything",
            "button_caption": "Open the shop", "button_url": "https://acme.example.ua/sale", "ttl": "86400",
            "token": str(uuid.uuid4())}
    data.update(overrides)
    return data


@pytest.fixture
def viber_web(web):
    SenderNameFactory(client=web.account, name="AcmeViber", approved=True, viber=True)
    return web


@pytest.fixture
def sent(monkeypatch):
    """Records the calls to viber_send and answers like the service: two accepted messages."""
    calls = []

    def fake_viber_send(*, client, recipients, request, actor=None, idempotency_key=None):
        calls.append({"client": client, "recipients": recipients, "request": request, "actor": actor,
                      "key": idempotency_key})
        if getattr(fake_viber_send, "error", None):
            raise fake_viber_send.error
        msgs = [types.SimpleNamespace(status="queued", recipient=r, error_detail="", public_id=None)
                for r in recipients]
        return types.SimpleNamespace(messages=msgs, created=True, total_price=Money(Decimal("1.70"), "UAH"),
                                     notice="")

    monkeypatch.setattr("messaging.views.viber_send", fake_viber_send)
    fake_viber_send.calls = calls
    return fake_viber_send


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- the tab and its form ------------------------------------------------------------------------

@pytest.mark.django_db
def test_r_vib_02_viber_tab_shows_form_and_preview(viber_web):
    body = viber_web.get(URL).content.decode()
    assert 'id="viber-form"' in body and 'enctype="multipart/form-data"' in body
    assert 'class="channel-tab channel-tab-viber is-current"' in body and 'aria-current="page" data-channel="viber"' in body
    # the client's approved Viber names only, not its SMS name
    assert '<option value="AcmeViber"' in body and '<option value="TestShop"' not in body.split('name="fallback_sender"')[0]
    # the four types, advertising chosen by default (R-VIB-03)
    for kind in ("advertising", "transactional", "test", "welcome"):
        assert f'value="{kind}"' in body
    assert 'value="advertising"' in body.split("checked")[0].rsplit("<input", 1)[1] or \
        'name="viber_type" value="advertising"' in body and 'checked' in body
    # the preview: bubble, text (pre-wrap), picture and button
    for part in ('id="viber-preview"', 'id="vb-bubble"', 'id="vb-text"', 'id="vb-image"', 'id="vb-button"'):
        assert part in body
    assert 'data-max="1000"' in body  # the live counter's limit
    assert 'maxlength="30"' in body  # the button caption


@pytest.mark.django_db
def test_sms_tab_links_to_viber_tab(web):
    body = web.get(reverse("message_send")).content.decode()
    assert 'href="/send/?channel=viber"' in body
    assert 'id="viber-form"' not in body


@pytest.mark.django_db
def test_r_snd_07_without_own_viber_name_the_shared_sender_is_offered(web, settings):
    settings.SMSPORTAL_VIBER_SHARED_SENDER = "PortalInfo"
    body = web.get(URL).content.decode()
    assert '<option value="PortalInfo"' in body


@pytest.mark.django_db
def test_r_vib_02_preview_shows_posted_text_image_and_button(viber_web, sent):
    sent.error = MessagingError("Refused for the test.", code="messaging_error")
    response = viber_web.post(URL, _data(text="Line one\r\nLine <b>two</b>",
                                         image_url="https://cdn.example.ua/sale.png"))
    assert response.status_code == 400
    body = response.content.decode()
    preview = body.split('id="viber-preview"')[1].split("</aside>")[0]
    assert "Line one\nLine &lt;b&gt;two&lt;/b&gt;" in preview  # line break kept, markup escaped
    assert 'src="https://cdn.example.ua/sale.png"' in preview
    assert ">Open the shop</a>" in preview


def test_r_vib_02_form_limits():
    form = ViberSendForm(_data(text="x" * 1001, button_caption="c" * 31), sender_names=["AcmeViber"])
    assert not form.is_valid()
    assert "text" in form.errors and "button_caption" in form.errors
    # a line break posted as CRLF counts once, as the counter on the page counts it
    form = ViberSendForm(_data(text="ab\r\n" * 333 + "a"), sender_names=["AcmeViber"])  # 1,333 posted
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["text"]) == 1000


def test_r_vib_02_button_needs_caption_and_link_and_image_must_be_https():
    form = ViberSendForm(_data(button_url="", image_url="http://cdn.example.ua/a.png"), sender_names=["AcmeViber"])
    assert not form.is_valid()
    assert form.errors["button_url"] == ["A button needs both a caption and a link."]
    assert form.errors["image_url"] == ["The image must be an https:// address."]


def test_r_vib_02_text_or_image_needed():
    form = ViberSendForm(_data(text="", button_caption="", button_url=""), sender_names=["AcmeViber"])
    assert not form.is_valid()
    assert form.errors["text"] == ["Enter the message text or add an image."]


def test_sms_fallback_needs_sender_and_text():
    form = ViberSendForm(_data(fallback="on"), sender_names=["AcmeViber"], sms_sender_names=["TestShop"])
    assert not form.is_valid()
    assert set(form.errors) == {"fallback_sender", "fallback_text"}


# --- sending -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_r_vib_02_send_hands_the_request_to_the_viber_service(viber_web, sent):
    response = viber_web.post(URL, _data(fallback="on", fallback_sender="TestShop", fallback_text="Sale -20%",
                                         viber_type="welcome", ttl="3600"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("message_list")
    (call,) = sent.calls
    req = call["request"]
    assert call["client"] == viber_web.account
    assert call["recipients"] == ["0671234567", "0501234567"]
    assert call["actor"] == viber_web.account.users.first()
    assert req.sender == "AcmeViber" and req.viber_type == "welcome" and req.ttl == 3600
    assert req.text == "Spring sale!\n-20% on everything"
    assert (req.button_caption, req.button_url) == ("Open the shop", "https://acme.example.ua/sale")
    assert (req.fallback_sender, req.fallback_text) == ("TestShop", "Sale -20%")
    assert "Accepted 2 Viber messages for sending; 1.70 UAH reserved" in response.content.decode()


@pytest.mark.django_db
def test_no_fallback_sends_no_sms_leg(viber_web, sent):
    viber_web.post(URL, _data(fallback_sender="TestShop", fallback_text="ignored"))
    req = sent.calls[0]["request"]
    assert (req.fallback_sender, req.fallback_text) == ("", "")


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "field"), [("contract_required", None), ("text_too_long", "text"),
                                             ("test_word_missing", "text"), ("shared_sender_test_only", "sender"),
                                             ("button_caption_too_long", "button_caption"),
                                             ("messaging_error", None)])
def test_r_vib_03_service_refusal_is_a_form_error_not_a_500(viber_web, sent, code, field):
    sent.error = MessagingError(f"Refused: {code}.", code=code)
    response = viber_web.post(URL, _data())
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field or "__all__"] == [f"Refused: {code}."]


@pytest.mark.django_db
def test_service_not_ready_is_a_form_error(viber_web, monkeypatch):
    def stub(**kwargs):  # the seam before the service was written
        raise NotImplementedError

    monkeypatch.setattr("messaging.views.viber_send", stub)
    response = viber_web.post(URL, _data())
    assert response.status_code == 400
    assert "Viber sending is not available yet" in response.content.decode()


# --- uploaded pictures -------------------------------------------------------------------------

@pytest.mark.django_db
def test_r_vib_02_real_png_upload_is_stored_and_served_over_the_public_https_url(viber_web, sent, media, settings):
    settings.SMSPORTAL_PUBLIC_BASE_URL = "https://portal.example.ua/"
    content = _png()
    viber_web.post(URL, {**_data(), "image_file": _upload(content, name="My Sale Photo.png")})
    url = sent.calls[0]["request"].image_url
    assert url.startswith("https://portal.example.ua/media/viber/") and url.endswith(".png")
    assert "Sale" not in url  # a random name, nothing of the client's
    stored = list((media / "viber").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == content
    served = viber_web.get(url.removeprefix("https://portal.example.ua"))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == content


@pytest.mark.django_db
def test_r_vib_02_jpeg_upload_gets_a_jpg_name(viber_web, sent, media):
    viber_web.post(URL, {**_data(), "image_file": _upload(_png(fmt="JPEG"), name="photo.jpeg",
                                                          content_type="image/jpeg")})
    assert sent.calls[0]["request"].image_url.endswith(".jpg")


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n this is not really a png", b"GIF89a" + b"\x00" * 40])
def test_r_vib_02_fake_png_upload_is_refused(viber_web, sent, media, content):
    response = viber_web.post(URL, {**_data(), "image_file": _upload(content, name="sale.png")})
    assert response.status_code == 400
    assert response.context["form"].errors["image_file"] == ["This file is not a JPG or PNG image."]
    assert sent.calls == [] and not (media / "viber").exists()


@pytest.mark.django_db
def test_r_vib_02_gif_image_is_refused(viber_web, sent, media):
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "GIF")
    response = viber_web.post(URL, {**_data(), "image_file": _upload(out.getvalue(), name="a.png")})
    assert response.context["form"].errors["image_file"] == ["The image must be a JPG or PNG file."]


@pytest.mark.django_db
def test_r_vib_02_image_over_3_mb_is_refused(viber_web, sent, media):
    big = _png() + b"\x00" * (3 * 1024 * 1024)
    response = viber_web.post(URL, {**_data(), "image_file": _upload(big)})
    assert response.context["form"].errors["image_file"] == ["The image is 3.0 MB; at most 3 MB."]
    assert sent.calls == []


@pytest.mark.django_db
def test_uploaded_image_url_comes_back_after_a_refusal(viber_web, sent, media):
    sent.error = MessagingError("No.", code="messaging_error")
    response = viber_web.post(URL, {**_data(), "image_file": _upload(_png())})
    url = sent.calls[0]["request"].image_url
    assert f'value="{url}"' in response.content.decode()  # the image URL field: no second upload


@pytest.mark.django_db
def test_viber_image_unknown_names_are_404(client, media):
    assert client.get("/media/viber/../../etc/passwd").status_code == 404
    assert client.get("/media/viber/" + "0" * 32 + ".png").status_code == 404


# --- with the real Viber service (messaging.viber.service) ---------------------------------------

@pytest.fixture
def viber_site(client, viber_client):  # noqa: F811
    client.force_login(viber_client.users.first())
    client.account = viber_client
    return client


def _welcome(**overrides):
    return _data(**{"sender": "ViberShop", "viber_type": "welcome", "recipients": "0671234567",
                    "text": "Welcome to ViberShop!\r\nQuestions: +380441234567", **overrides})


@pytest.mark.django_db
def test_r_vib_04_welcome_sent_from_the_viber_tab_is_stored_once(viber_site):
    from messaging.models import Message

    data = _welcome()
    response = viber_site.post(URL, data, follow=True)
    message = Message.objects.get()
    assert message.channel == "viber"
    assert message.recipient == "+380671234567"
    assert response.redirect_chain[-1][0] == reverse("message_detail", kwargs={"public_id": message.public_id})
    assert "Accepted 1 Viber message for sending" in response.content.decode()
    again = viber_site.post(URL, data, follow=True)  # a double click: the same token
    assert Message.objects.count() == 1
    assert "already sent" in again.content.decode()


@pytest.mark.django_db
def test_r_vib_03_real_refusals_land_under_their_fields(viber_site):
    from messaging.models import Message

    response = viber_site.post(URL, _welcome(viber_type="transactional"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    # every refusal under its field: a transactional message has no button, and fills an approved template
    assert errors["viber_type"] == ["A transactional Viber message is text only: no image and no button."]
    assert errors["text"] == ["A transactional Viber text must fill one of your approved templates; this one "
                              "matches none."]
    response = viber_site.post(URL, _welcome(viber_type="test"))
    assert response.context["form"].errors["text"] == ['A test message must contain the word "Test" or "Тест".']
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_r_vib_08_live_estimate_prices_and_shows_the_text_with_the_contact_phone(viber_site):
    from messaging.models import Message

    response = viber_site.post(reverse("viber_send_estimate"), {
        "sender": "ViberShop", "viber_type": "welcome", "recipients": "0671234567\r\n0661234567",
        "text": "Welcome to ViberShop!", "ttl": "86400"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert body["text"].startswith("Welcome to ViberShop!\n+380")  # the verified phone added (R-VIB-08)
    assert body["total_price"]["currency"] == "UAH" and body["rate"]
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_live_estimate_refusals_are_json_not_500(viber_site, settings):
    settings.SMSPORTAL_MAX_RECIPIENTS = 2
    url = reverse("viber_send_estimate")
    too_many = viber_site.post(url, {"sender": "ViberShop", "recipients": "0671234567,0661234567,0501234567"})
    assert too_many.status_code == 400 and too_many.json()["code"] == "too_many_recipients"
    bad_sender = viber_site.post(url, {"sender": "Nobody", "recipients": "0671234567", "text": "Hi", "ttl": "x"})
    assert bad_sender.status_code == 400 and bad_sender.json()["code"] == "sender_not_approved"
    body = viber_site.post(url, {"sender": "ViberShop", "viber_type": "test", "recipients": "0671234567",
                                 "text": "Hello +380441234567"}).json()
    assert [r["code"] for r in body["refusals"]] == ["test_word_missing"]


@pytest.mark.django_db
def test_r_snd_07_shared_sender_is_explained(web, settings):
    settings.SMSPORTAL_VIBER_SHARED_SENDER = "PortalInfo"
    body = web.get(URL).content.decode()
    assert "the shared one sends test messages to your account’s verified phones only" in body
    assert "Request your own Viber sender name" in body
