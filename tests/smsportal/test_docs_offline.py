"""The API docs (ReDoc and Swagger UI) load nothing from outside our host: their scripts come
from drf-spectacular-sidecar, and ReDoc's web fonts (Google Fonts in drf-spectacular's template)
are left out."""
import re

import pytest

pytestmark = pytest.mark.django_db

URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.mark.parametrize("path", ["/api/redoc/", "/api/docs/"])
def test_docs_pages_load_no_external_url(client, path):
    r = client.get(path)
    assert r.status_code == 200
    html = r.content.decode()
    external = [u for u in URL.findall(html) if not u.split("//", 1)[1].startswith("testserver")]
    assert external == [], external
    assert ("redoc" in html) if "redoc" in path else ("swagger-ui" in html)


def test_the_redoc_script_is_served_by_us(client):
    html = client.get("/api/redoc/").content.decode()
    src = re.search(r'<script src="([^"]+)"', html).group(1)
    assert src.startswith("/static/") and "redoc" in src
