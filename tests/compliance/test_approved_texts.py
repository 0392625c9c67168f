"""Approved-text memory (R-CMP-02): a text staff approved in the review queue passes screening
for that client at once next time, however it is spelled; never for another client, never a text
the rules refuse; one query for a whole send."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from compliance.models import ApprovedText
from compliance.services import approved_text_forget, approved_text_remember, content_screen, content_screen_many
from tests.factories import make_client

pytestmark = pytest.mark.django_db
CREDIT = "Кредит готівкою під 0% на 30 днів"


@pytest.fixture
def staff_user(db):
    return User.objects.create_superuser("reviewer@example.com", "pw-12345-staff")


def test_r_cmp_02_approved_text_passes_next_time(client_account, staff_user):
    assert content_screen(client=client_account, text=CREDIT).needs_review
    approved_text_remember(client=client_account, text=CREDIT, actor=staff_user)

    again = content_screen(client=client_account, text=CREDIT)
    assert again.passed and again.reason == "approved_text"
    # The same text spelled otherwise (case, spacing, a Latin look-alike) is the same text.
    assert content_screen(client=client_account, text="КРЕДИТ  готівкою під 0% на 30 днiв").passed
    # The rules' own verdict is still there for the review queue.
    assert content_screen(client=client_account, text=CREDIT, approved=False).needs_review
    # Another text, another client: held as before.
    assert content_screen(client=client_account, text="Кредит готівкою під 5% на 30 днів").needs_review
    other = make_client(name="Other LLC")
    assert content_screen(client=other, text=CREDIT).needs_review

    row = ApprovedText.objects.get(client=client_account)
    assert (row.text, row.approved_by) == (CREDIT, staff_user)
    event = AuditEvent.objects.get(code="compliance.text.approved")
    assert (event.actor, event.client) == (staff_user, client_account)


def test_r_cmp_02_remembering_twice_keeps_the_first_approval(client_account, staff_user):
    first = approved_text_remember(client=client_account, text=CREDIT, actor=staff_user)
    assert approved_text_remember(client=client_account, text=CREDIT.upper(), actor=None) == first
    assert ApprovedText.objects.count() == 1 and AuditEvent.objects.filter(code="compliance.text.approved").count() == 1


def test_r_cmp_01_an_approved_memory_never_lets_a_refused_text_through(client_account, staff_user):
    approved_text_remember(client=client_account, text="Найкраще казино", actor=staff_user)
    assert content_screen(client=client_account, text="Найкраще казино").refused
    assert content_screen_many(client=client_account, texts=["Найкраще казино"])[0].refused


def test_r_cmp_02_withdrawn_approval_holds_the_text_again(client_account, staff_user):
    approved_text_remember(client=client_account, text=CREDIT, actor=staff_user)
    assert approved_text_forget(client=client_account, text=CREDIT, actor=staff_user)
    assert content_screen(client=client_account, text=CREDIT).needs_review
    assert AuditEvent.objects.filter(code="compliance.text.approval_withdrawn").exists()


def test_r_cmp_02_a_send_looks_its_held_texts_up_in_one_query(client_account, staff_user):
    approved_text_remember(client=client_account, text=CREDIT, actor=staff_user)
    approved_text_remember(client=client_account, text="Розыгрыш iPhone среди покупателей", actor=staff_user)
    texts = [CREDIT, "Розыгрыш iPhone среди покупателей", "Іпотека від 7% річних", "Your order is ready",
             CREDIT, "Найкраще казино"] * 50
    content_screen_many(client=client_account, texts=texts, approved=False)  # the engine built, counters cached
    with CaptureQueriesContext(connection) as rules_only:
        content_screen_many(client=client_account, texts=texts, approved=False)
    with CaptureQueriesContext(connection) as with_memory:
        verdicts = content_screen_many(client=client_account, texts=iter(texts))
    assert len(with_memory) == len(rules_only) + 1
    assert [v.outcome for v in verdicts[:6]] == ["pass", "pass", "review", "pass", "pass", "refuse"]
    assert len(verdicts) == len(texts)


def test_a_send_without_held_texts_asks_nothing_more(client_account):
    texts = ["Your order is ready", "Код підтвердження 1234"]
    content_screen_many(client=client_account, texts=texts, approved=False)
    with CaptureQueriesContext(connection) as rules_only:
        content_screen_many(client=client_account, texts=texts, approved=False)
    with CaptureQueriesContext(connection) as with_memory:
        content_screen_many(client=client_account, texts=texts)
    assert len(with_memory) == len(rules_only)


def test_approved_texts_admin_lists_them_for_staff(admin_client, client_account, staff_user):
    approved_text_remember(client=client_account, text=CREDIT, actor=staff_user)
    r = admin_client.get("/admin/compliance/approvedtext/")
    assert r.status_code == 200 and CREDIT in r.content.decode()
