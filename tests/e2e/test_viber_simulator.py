"""End to end over real HTTP between real processes: `manage.py viber_simulator` as a child
process, our HTTP adapter (messaging.viber.http) sending to it, its signed webhooks received by a
local HTTP server, verified (messaging.viber.signing), parsed and applied with status_apply. Each
scenario ends in its status; duplicates and out-of-order events converge; a resend with the same
sequence id gets the same provider id; transport failures are a retryable error, never a hang."""
import socket
import sys
import threading
import time

import pytest

from messaging.viber.http import HttpViberProvider
from messaging.viber.provider import (
    Accepted, InboundEvent, OutgoingMessage, ProviderNotConfigured, ProviderUnavailable, Refusal, Refused,
    StatusEvent, ViberState, WebhookReplayed, WebhookSignatureInvalid, status_apply,
)
from messaging.viber.webhooks import webhook_parse
from tests.e2e.processes import free_port, running, wait_for_port, wait_until
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.e2e

SECRET = "whsec_e2e_viber"
TOKEN = "viber-e2e-token"
DELAY = 0.1


class Collector:
    """Verifies and applies every webhook the receiver got, once each, as the webhook view will."""

    def __init__(self, receiver):
        self.receiver = receiver
        self.done = 0
        self.states: dict[str, ViberState] = {}
        self.inbound: list[InboundEvent] = []
        self.events: list[StatusEvent] = []
        self.ignored: list[StatusEvent] = []

    def poll(self) -> None:
        with self.receiver.lock:
            new = self.receiver.requests[self.done:]
        for request in new:
            for event in webhook_parse(raw_body=request["body"], headers=request["headers"], secret=SECRET):
                if isinstance(event, InboundEvent):
                    self.inbound.append(event)
                    continue
                self.events.append(event)
                state = status_apply(self.states.get(event.provider_id, ViberState()), event)
                if state is None:
                    self.ignored.append(event)
                else:
                    self.states[event.provider_id] = state
            self.done += 1

    def state(self, provider_id: str) -> tuple[str, bool, str]:
        s = self.states.get(provider_id)
        return (s.status, s.clicked, s.reason) if s else ("", False, "")


@pytest.fixture
def viber():
    """The simulator process (webhooks to a local receiver) and an adapter pointed at it."""
    with webhook_receiver() as receiver, running() as procs:
        port = free_port()
        proc = procs.start("viber", [sys.executable, "manage.py", "viber_simulator", "--port", str(port),
                                     "--callback-url", receiver.url("/viber/webhook"), "--secret", SECRET,
                                     "--token", TOKEN, "--delay", str(DELAY), "--reply-after", "0.3",
                                     "--ttl-scale", "0.01", "--shared-sender", "ViberShared"])
        wait_for_port(port)
        provider = HttpViberProvider(base_url=f"http://127.0.0.1:{port}", token=TOKEN, timeout=5)
        try:
            yield provider, Collector(receiver), procs, proc
        finally:
            provider.close()


def message(suffix: str, **kw) -> OutgoingMessage:
    return OutgoingMessage(**({"message_id": f"msg-{suffix}", "sender": "DemoShop", "phone": f"+3806712345{suffix}",
                               "text": "Spring sale: -20% on everything", "button_caption": "Open the shop",
                               "button_url": "https://shop.example.com/sale", "ttl": 60,
                               "sequence_id": f"seq-{suffix}"} | kw))


# suffix → (status, clicked, reason) it must end in
EXPECTED = {
    "00": ("undelivered", False, "not_viber_user"),
    "01": ("seen", True, ""),
    "02": ("undelivered", False, "blocked"),
    "03": ("expired", False, ""),
    "04": ("delivered", False, ""),   # expired, then delivered late (R-VIB-07)
    "05": ("rejected", False, "rejected_by_viber"),
    "06": ("delivered", False, ""),
    "07": ("seen", False, ""),
    "08": ("seen", True, ""),
    "11": ("seen", False, ""),
}


def test_r_vib_07_every_scenario_ends_in_its_status(viber):
    provider, collector, procs, _proc = viber
    ids = {}
    for suffix in EXPECTED:
        answer = provider.send(message(suffix))
        assert isinstance(answer, Accepted), (suffix, answer)
        ids[suffix] = answer.provider_id
    assert provider.send(message("09")) == Refused(Refusal.STOP_LIST, "The recipient is on the stop list.")
    assert len(set(ids.values())) == len(ids)

    def settled():
        collector.poll()
        return all(collector.state(ids[s]) == want for s, want in EXPECTED.items()) and collector.inbound
    assert wait_until(settled, timeout=20), (
        {s: collector.state(ids[s]) for s in EXPECTED}, procs.logs())

    # 07: the recipient's reply names the message it answers
    [reply] = collector.inbound
    assert (reply.reply_to, reply.phone, reply.sender) == (ids["07"], "+380671234507", "DemoShop") and reply.text
    # 00: not a Viber user is reported at once, with nothing before it (the fallback's trigger)
    assert [e.status for e in collector.events if e.provider_id == ids["00"]] == ["undelivered"]
    # 04: the late delivered came after expired and was applied
    assert [e.status for e in collector.events if e.provider_id == ids["04"]] == ["sent", "expired", "delivered"]
    # 08: the events came out of order and twice, and were ignored as such
    seq = [e for e in collector.events if e.provider_id == ids["08"]]
    assert [e.status for e in seq][:3] == ["seen", "delivered", "sent"]
    assert len({e.event_id for e in seq}) < len(seq)  # one event delivered twice
    assert {e.status for e in collector.ignored if e.provider_id == ids["08"]} >= {"delivered", "sent", "seen",
                                                                                   "clicked"}
    # polling (the webhooks' fallback) gives the same final statuses
    polled = {}
    for event in provider.statuses(list(ids.values()) + ["no-such-id"]):
        polled[event.provider_id] = status_apply(polled.get(event.provider_id), event) or polled[event.provider_id]
    assert {s: (polled[ids[s]].status, polled[ids[s]].clicked) for s in EXPECTED} == {
        s: want[:2] for s, want in EXPECTED.items()}


def test_webhooks_are_signed_and_replay_safe(viber):
    provider, collector, procs, _proc = viber
    assert isinstance(provider.send(message("00")), Accepted)
    receiver = collector.receiver
    assert wait_until(lambda: receiver.requests, timeout=10), procs.logs()
    request = receiver.requests[0]
    assert request["path"] == "/viber/webhook"
    [event] = webhook_parse(raw_body=request["body"], headers=request["headers"], secret=SECRET)
    assert (event.status, event.reason) == ("undelivered", "not_viber_user")
    with pytest.raises(WebhookReplayed):  # the same request again
        webhook_parse(raw_body=request["body"], headers=request["headers"], secret=SECRET)
    with pytest.raises(WebhookSignatureInvalid):
        webhook_parse(raw_body=request["body"].replace(b"not_viber_user", b"blocked"),
                      headers=dict(request["headers"], **{"X-Nonce": "fresh-nonce-1234"}), secret=SECRET)
    with pytest.raises(WebhookSignatureInvalid):
        webhook_parse(raw_body=request["body"], headers=request["headers"], secret="whsec_wrong")


def test_webhook_refused_by_our_server_is_sent_again_signed_anew(viber):
    provider, collector, procs, _proc = viber
    receiver = collector.receiver
    receiver.status = [503, 200]
    answer = provider.send(message("00"))
    assert wait_until(lambda: len(receiver.requests) >= 2, timeout=10), procs.logs()
    first, second = receiver.requests[:2]
    assert first["body"] == second["body"] and first["headers"]["X-Nonce"] != second["headers"]["X-Nonce"]
    collector.poll()  # both verify (each its own nonce); the repeat changes nothing
    assert collector.state(answer.provider_id) == ("undelivered", False, "not_viber_user")
    assert [e.status for e in collector.ignored] == ["undelivered"]


def test_resend_with_the_same_sequence_id_is_idempotent(viber):
    provider, collector, _procs, _proc = viber
    first = provider.send(message("06"))
    again = provider.send(message("06"))
    other = provider.send(message("06", sequence_id="seq-06-b"))
    assert isinstance(first, Accepted) and again == first
    assert isinstance(other, Accepted) and other.provider_id != first.provider_id

    def delivered():
        collector.poll()
        return {collector.state(p)[0] for p in (first.provider_id, other.provider_id)} == {"delivered"}
    assert wait_until(delivered, timeout=10)
    # the replayed send played its scenario once
    assert sum(1 for e in collector.events if e.provider_id == first.provider_id and e.status == "delivered") == 1


REFUSALS = [
    ({"button_caption": "x" * 31}, Refusal.CAPTION_TOO_LONG),
    ({"viber_type": "transactional"}, Refusal.TRANSACTIONAL_RICH),
    ({"text": "x" * 1001}, Refusal.TEXT_TOO_LONG),
    ({"image_url": "https://cdn.example.com/a.gif"}, Refusal.IMAGE_TYPE),
    ({"ttl": 30}, Refusal.TTL_OUT_OF_RANGE),
    ({"viber_type": "transactional", "sender": "ViberShared", "button_caption": "", "button_url": ""},
     Refusal.SHARED_SENDER_TRANSACTIONAL),
    ({"viber_type": "test"}, Refusal.TEST_WORD_MISSING),
    ({"phone": "+38"}, Refusal.PHONE_INVALID),
]


def test_r_vib_02_simulator_refuses_with_the_same_codes(viber):
    provider, collector, _procs, _proc = viber
    for kw, code in REFUSALS:
        answer = provider.send(message("11", **kw))
        assert isinstance(answer, Refused) and answer.code == code and answer.detail, (kw, answer)
    # the transactional that passes our validation passes the simulator's too
    assert isinstance(provider.send(message("11", viber_type="transactional", button_caption="", button_url="")),
                      Accepted)


def test_wrong_token_is_not_retryable(viber):
    provider, _collector, _procs, _proc = viber
    bad = HttpViberProvider(base_url=f"http://{provider.pool.host}:{provider.pool.port}", token="wrong", timeout=5)
    with pytest.raises(ProviderNotConfigured):
        bad.send(message("11"))
    bad.close()


def test_provider_going_away_is_a_retryable_error(viber):
    provider, _collector, _procs, proc = viber
    assert isinstance(provider.send(message("11")), Accepted)  # a kept-alive connection in the pool
    proc.terminate()
    proc.wait(timeout=10)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as exc:
        provider.send(message("11"))
    assert exc.value.retryable and time.monotonic() - started < 5


def test_silent_provider_times_out_instead_of_hanging():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():  # takes the connection and never answers
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        provider = HttpViberProvider(base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", token="t", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable) as exc:
            provider.send(message("11"))
        assert 0.4 < time.monotonic() - started < 3 and exc.value.retryable
        assert "did not answer" in exc.value.detail
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_nothing_listening_is_a_retryable_error():
    provider = HttpViberProvider(base_url=f"http://127.0.0.1:{free_port()}", token="t", timeout=2)
    with pytest.raises(ProviderUnavailable) as exc:
        provider.statuses(["p-1"])
    assert exc.value.retryable


def test_simulator_forgets_the_oldest_beyond_max_records():
    from messaging.viber.simulator import SimulatorConfig, ViberSimulator

    sim = ViberSimulator(SimulatorConfig(port=0, delay=0.05, max_records=2)).start()
    provider = HttpViberProvider(base_url=f"http://127.0.0.1:{sim.port}", token="t", timeout=5)
    try:
        first, *_rest = [provider.send(message(s)).provider_id for s in ("11", "12", "13")]
        assert len(sim.records) == 2 and first not in sim.records
        assert provider.statuses([first]) == []
        assert provider.send(message("11")).provider_id != first  # its sequence id is forgotten too
    finally:
        provider.close()
        sim.stop()
