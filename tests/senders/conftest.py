import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from senders.models import SenderName

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def private_media(tmp_path, monkeypatch):
    """Brand proofs go to a temporary private folder during tests."""
    field = SenderName._meta.get_field("proof")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path / "private", base_url=None))
    return tmp_path / "private"


@pytest.fixture
def pdf():
    return SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def staff(db):
    """A separate browser logged in as a superuser (so tests can use `web` alongside)."""
    from django.test import Client

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(user)
    browser.user = user
    return browser
