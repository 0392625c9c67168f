"""R-VIB-09: staff set a client's daily Viber volume in the admin; sends over it are refused per
recipient (`viber_daily_limit`), and every change is audited."""
import pytest
from django.urls import reverse

from accounts.models import AuditEvent, User
from messaging.models import ViberLimit
from messaging.viber.service import viber_send
from tests.messaging.viber_fixtures import KYIVSTAR, OWN_PHONE, VODAFONE, req, viber_client  # noqa: F401,F811

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("viber-limit-staff@example.com", "pw-12345-staff")
    client.force_login(user)
    client.user = user
    return client


def test_r_vib_09_staff_set_limit_in_admin_refuses_sends_over_it(staff, viber_client):
    form = staff.get(reverse("admin:messaging_viberlimit_add"))
    assert form.status_code == 200 and "admin-autocomplete" in form.content.decode()
    add = staff.post(reverse("admin:messaging_viberlimit_add"),
                     {"client": viber_client.pk, "daily_limit": 2, "note": "New client, first month"})
    assert add.status_code == 302, add.content.decode()[:2000]
    limit = ViberLimit.objects.get(client=viber_client)
    assert limit.daily_limit == 2
    created = AuditEvent.objects.get(code="messaging.viber_limit.created")
    assert created.actor == staff.user and created.client_id == viber_client.pk
    assert created.details["after"]["daily_limit"] == 2

    result = viber_send(client=viber_client, recipients=[KYIVSTAR, VODAFONE, OWN_PHONE], request=req())
    assert sorted((m.status, m.error_code) for m in result.messages) == [
        ("queued", ""), ("queued", ""), ("refused", "viber_daily_limit")]

    # Raised to 3: one more fits today, the one after that does not.
    change = staff.post(reverse("admin:messaging_viberlimit_change", args=[limit.pk]),
                        {"daily_limit": 3, "note": "Raised"})
    assert change.status_code == 302, change.content.decode()[:2000]
    changed = AuditEvent.objects.get(code="messaging.viber_limit.changed")
    assert changed.details["before"]["daily_limit"] == 2 and changed.details["after"]["daily_limit"] == 3
    more = viber_send(client=viber_client, recipients=["+380931234567", "+380951234567"], request=req())
    assert sorted((m.status, m.error_code) for m in more.messages) == [
        ("queued", ""), ("refused", "viber_daily_limit")]


def test_r_vib_09_admin_list_search_and_delete_lifts_the_limit(staff, viber_client):
    limit = ViberLimit.objects.create(client=viber_client, daily_limit=1, note="trial")
    page = staff.get(reverse("admin:messaging_viberlimit_changelist"), {"q": viber_client.name[:5]})
    assert page.status_code == 200 and "trial" in page.content.decode()
    assert staff.get(reverse("admin:messaging_viberlimit_changelist"), {"q": "no-such-client-xyz"}).content.decode() \
        .count("trial") == 0
    gone = staff.post(reverse("admin:messaging_viberlimit_delete", args=[limit.pk]), {"post": "yes"})
    assert gone.status_code == 302 and not ViberLimit.objects.exists()
    assert AuditEvent.objects.filter(code="messaging.viber_limit.deleted", client=viber_client).exists()
    result = viber_send(client=viber_client, recipients=[KYIVSTAR, VODAFONE], request=req())
    assert [m.status for m in result.messages] == ["queued", "queued"]
