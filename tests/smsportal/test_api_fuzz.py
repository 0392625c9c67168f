"""The API fuzzed from its own OpenAPI schema (schemathesis, in-process through WSGI, on the test database).

Every operation gets schema-valid (positive) and schema-breaking (negative) requests, authenticated with a
real API key of a client with a balance, an approved sender, a route and a tariff. Path ids are random, the
client's own or another client's; some bodies are steered to the approved sender and a valid phone so the
send paths run past their first check. No answer may be a 500, and every answer must match the status codes,
content type and response schema the API documents.

Bounded and repeatable: derandomized Hypothesis (the same cases every run), a few examples an operation,
no shrinking. About 15-20 s here.
"""
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from accounts.services import api_key_create
from tests.factories import SenderNameFactory, make_client

APP = get_wsgi_application()
# Loaded at import (schemathesis.pytest.from_fixture breaks on pytest 9): the schema view needs no database.
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", APP)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES = 12
PHONE = "+380671234567"


def _seed(api: APIClient, sender: str, client=None) -> dict:
    """One object of each kind the paths name, made through the API itself."""
    ok = {"sender": sender, "recipients": [PHONE], "text": "hi"}
    message = api.post("/api/v1/messages/", ok, format="json").json()["messages"][0]["id"]
    campaign = api.post("/api/v1/campaigns/", {**ok, "send_at": "2030-01-01T00:00:00Z"}, format="json").json()["id"]
    group = api.post("/api/v1/contact-groups/", {"name": "g", "contacts": [PHONE]}, format="json").json()["id"]
    invoice = api.post("/api/v1/invoices/", {"amount": "10"}, format="json").json()["number"]
    api.post("/api/v1/stop-list/", {"phone": PHONE}, format="json")
    consent = api.post("/api/v1/consents/", {"phone": PHONE}, format="json").json()["id"]
    template = api.post("/api/v1/viber/templates/", {"name": "t", "text": "Order {n} is ready."},
                        format="json").json()["id"]
    return {"message_id": message, "campaign_id": campaign, "group_id": str(group), "number": invoice,
            "consent_id": str(consent), "phone": PHONE, "template_id": template,
            "session_id": _viber_session(client, f"{sender}V") if client is not None else ""}


def _viber_session(client, name: str) -> str:
    """A chat session opened by a recipient's message to the client's Viber sender (R-VIB-06)."""
    from django.utils import timezone  # noqa: PLC0415

    from messaging.models import ChatSession  # noqa: PLC0415
    from messaging.viber.provider import InboundEvent  # noqa: PLC0415
    from messaging.viber.sessions import inbound_apply  # noqa: PLC0415

    SenderNameFactory(client=client, name=name, channel="viber", approved=True)
    inbound_apply([InboundEvent(event_id=f"e-{name}", provider_id=f"in-{name}", phone="+380501234567", sender=name,
                                at=timezone.now(), text="Hello?")])
    return str(ChatSession.objects.get(client=client).public_id)


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's WSGI handler closes the connection after each request (it would end the test's
    transaction); the test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_api_operation_never_500s_and_answers_as_documented(api, operation, mode, request):
    mine = _seed(api, "TestShop", api.account)
    other = make_client(name="Other LLC", balance=50)
    SenderNameFactory(client=other, name="OtherCo", approved=True)
    _key, raw = api_key_create(client=other, name="fuzz")
    theirs_client = APIClient()
    theirs_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    theirs = _seed(theirs_client, "OtherCo", other)
    request.getfixturevalue("wsgi_in_test_transaction")  # after the test client's requests above

    names = [p.name for p in operation.path_parameters]
    strategies = [operation.as_strategy(generation_mode=mode)]
    if names:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters={n: mine[n] for n in names})] * 3
        strategies.append(operation.as_strategy(generation_mode=mode, path_parameters={n: theirs[n] for n in names}))
    auth = api._credentials["HTTP_AUTHORIZATION"]
    failures = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=st.one_of(strategies), steer=st.integers(0, 3))
    def run(case, steer):
        case.headers = {**(case.headers or {}), "Authorization": auth}
        if steer and isinstance(case.body, dict):  # past the sender and phone checks, into pricing and storing
            if "sender" in case.body or steer == 2:
                case.body["sender"] = "TestShop"
            if isinstance(case.body.get("recipients"), list) and case.body["recipients"] and steer != 3:
                case.body["recipients"][0] = PHONE
            if steer == 3 and "contacts" in case.body:
                case.body["contacts"] = [PHONE]
        response = case.call()
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as exc:  # collect every distinct failure, fail once at the end
            failures.setdefault(str(exc)[:400], f"{case.as_curl_command()}\n-> {response.status_code} "
                                                 f"{response.text[:400]}")

    run()
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
