"""What the browser tests share: a real Chromium driven by Playwright for Python, logged in to the
live server. Never downloads browsers: it uses $SMSPORTAL_CHROMIUM, `chromium` on the PATH or
Debian's /usr/bin/chromium.

A test module imports from here; where Playwright or Chromium is missing, the import skips the
whole module. Playwright's sync API runs an event loop while the browser is open, so Django's ORM
refuses to run inside `with logged_in_page(...)`: set up data before it, check the database after."""
import contextlib
import os
import shutil
from typing import NamedTuple

import pytest
from django.test import Client

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("SMSPORTAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

if not os.path.exists(CHROMIUM):
    pytest.skip("no Chromium binary", allow_module_level=True)


class BrowserPage(NamedTuple):
    page: "sync_api.Page"
    errors: list  # uncaught script errors on the page, as text


@contextlib.contextmanager
def logged_in_page(live_server, user):
    """A fresh Chromium page with `user`'s session cookie for `live_server`; closed afterwards."""
    session = Client()
    session.force_login(user)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    cookie = {"name": "sessionid", "value": session.cookies["sessionid"].value, "domain": host, "path": "/"}
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = chromium.new_context()
            context.add_cookies([cookie])
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield BrowserPage(page, errors)
        finally:
            chromium.close()
