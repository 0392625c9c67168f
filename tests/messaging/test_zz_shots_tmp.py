import pytest
from tests.browser import logged_in_page, sync_api
from tests.messaging.viber_fixtures import viber_client  # noqa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shots(viber_client, tariff, live_server, settings):
    client_account = viber_client
    settings.LOCALE_PATHS = ['/tmp/vweb/locale']
    import io
    from PIL import Image
    buf = io.BytesIO(); Image.new('RGB', (600, 400), (255, 170, 60)).save(buf, 'PNG'); png = buf.getvalue()
    user = client_account.users.first()
    out = []
    for lang in ("uk", "en"):
        user.language = lang
        user.save()
        with logged_in_page(live_server, user) as (page, errors):
            page.route("https://cdn.example.ua/**", lambda route: route.fulfill(status=200, content_type="image/png", body=png))
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                for ch in ("sms", "viber"):
                    page.goto(f"{live_server.url}/send/" + ("?channel=viber" if ch == "viber" else ""))
                    page.fill("textarea[name=text]", "Весняний розпродаж!\nЗнижка -20% на все до неділі.")
                    page.fill("textarea[name=recipients]", "0671234567\n0501234567")
                    if ch == "viber": page.check("input[name=viber_type][value=welcome]")
                    if ch == "viber":
                        page.fill("input[name=button_caption]", "Відкрити магазин")
                        page.fill("input[name=button_url]", "https://acme.example.ua/sale")
                        page.fill("input[name=image_url]", "https://cdn.example.ua/sale.png")
                    page.wait_for_timeout(1500)
                    sw = page.evaluate("document.documentElement.scrollWidth")
                    out.append((lang, width, ch, sw))
                    page.screenshot(path=f"/tmp/vweb/{lang}_{width}_{ch}.png", full_page=True)
            assert errors == []
    print(out)
    for lang, width, ch, sw in out:
        assert sw <= width, (lang, width, ch, sw)
