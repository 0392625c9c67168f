"""SMSC simulator driven over TCP by a real smpplib client (no Django, no database)."""
import re
import socket
import struct
import sys
import time
from pathlib import Path

import pytest
import smpplib.client
import smpplib.exceptions
import smpplib.smpp

try:
    from messaging.smpp import simulator as simulator_module
except ImportError:  # run without a pytest config that puts the project root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from messaging.smpp import simulator as simulator_module

from messaging.smpp.simulator import SimulatorConfig, SmscSimulator

HDR = struct.Struct(">IIII")
READ_TIMEOUT = 2.0
UDH_PART1 = bytes([0x05, 0x00, 0x03, 0x2A, 0x02, 0x01])
UDH_PART2 = bytes([0x05, 0x00, 0x03, 0x2A, 0x02, 0x02])


@pytest.fixture
def make_sim():
    sims = []

    def factory(**overrides):
        values = dict(host="127.0.0.1", port=0, receipt_delay=0.0, delivery_ratio=1.0, tps=0)
        values.update(overrides)
        sim = SmscSimulator(SimulatorConfig(**values))
        sim.start()
        sims.append(sim)
        return sim

    yield factory
    for sim in sims:
        sim.stop()


@pytest.fixture
def sim(make_sim):
    return make_sim()


@pytest.fixture
def connect():
    clients = []

    def factory(sim, bind="transceiver", system_id="demo", password="secret", timeout=READ_TIMEOUT):
        client = smpplib.client.Client("127.0.0.1", sim.port, timeout=timeout,
                                       allow_unknown_opt_params=True)
        client.connect()
        client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        clients.append(client)
        if bind:
            getattr(client, "bind_" + bind)(system_id=system_id, password=password)
        return client

    yield factory
    for client in clients:
        try:
            client.disconnect()
        except Exception:
            pass


def submit(client, destination="380671234567", short_message=b"Hello from DemoShop",
           registered_delivery=1, **extra):
    pdu = client.send_message(
        source_addr_ton=5, source_addr_npi=0, source_addr="DemoShop",
        dest_addr_ton=1, dest_addr_npi=1, destination_addr=destination,
        short_message=short_message, registered_delivery=registered_delivery, **extra)
    return pdu


def read(client, timeout=READ_TIMEOUT):
    client._socket.settimeout(timeout)
    return client.read_pdu()


def read_command(client, command, timeout=READ_TIMEOUT):
    """Next PDU, which must be ``command``."""
    pdu = read(client, timeout)
    assert pdu.command == command, (pdu.command, pdu.status)
    return pdu


def ack(client, pdu, status=0):
    resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client, status=status)
    resp.sequence = pdu.sequence
    client.send_pdu(resp)


def submit_and_resp(client, **kwargs):
    pdu = submit(client, **kwargs)
    resp = read_command(client, "submit_sm_resp")
    assert resp.sequence == pdu.sequence
    return resp


def nothing_arrives(client, within):
    client._socket.settimeout(within)
    try:
        pdu = client.read_pdu()
    except socket.timeout:
        return True
    raise AssertionError("unexpected %s" % pdu.command)


def raw_pdu(client, command_id, sequence, body=b""):
    client._socket.sendall(HDR.pack(16 + len(body), command_id, 0, sequence) + body)


def receipt_fields(text: bytes) -> dict:
    return dict(re.findall(r"(\w+(?: date)?):(\S*)", text.decode()))


# --- bind -----------------------------------------------------------------------------


@pytest.mark.parametrize("bind", ["transmitter", "receiver", "transceiver"])
def test_bind_modes_answer_with_smppsim(sim, connect, bind):
    client = connect(sim, bind=None)
    resp = getattr(client, "bind_" + bind)(system_id="anything", password="any")
    assert resp.command == "bind_%s_resp" % bind
    assert resp.status == 0
    assert resp.system_id == b"SMPPSIM"
    assert sim.wait_for(lambda: sim.stats["bound"] == 1, 1)


def test_credentials_checked_when_configured(make_sim, connect):
    sim = make_sim(system_id="shop", password="pw123")
    with pytest.raises(smpplib.exceptions.PDUError) as err:
        connect(sim, system_id="shop", password="wrong")
    assert err.value.args[1] == 0x0D  # ESME_RBINDFAIL
    with pytest.raises(smpplib.exceptions.PDUError) as err:
        connect(sim, system_id="other", password="pw123")
    assert err.value.args[1] == 0x0D
    assert connect(sim, system_id="shop", password="pw123").state == 4  # BOUND_TRX
    assert sim.stats["bind_failures"] == 2 and sim.stats["binds"] == 1


def test_second_bind_on_bound_session_is_already_bound(sim, connect):
    client = connect(sim)
    again = smpplib.smpp.make_pdu("bind_transmitter", client=client, system_id="demo",
                                  password="secret")
    # smpplib refuses to send a bind in a bound state: write the bytes ourselves
    client._socket.sendall(again.generate())
    resp = read_command(client, "bind_transmitter_resp")
    assert resp.status == 0x05  # ESME_RALYBND


def test_max_binds_per_system_id(make_sim, connect):
    sim = make_sim(max_binds=1)
    connect(sim, system_id="demo")
    with pytest.raises(smpplib.exceptions.PDUError) as err:
        connect(sim, system_id="demo")
    assert err.value.args[1] == 0x05
    connect(sim, system_id="other")


def test_requests_before_bind_get_invalid_bind_status(sim, connect):
    client = connect(sim, bind=None)
    body = smpplib.smpp.make_pdu("submit_sm", client=client, source_addr="X",
                                 destination_addr="380671234567", short_message=b"hi").generate()
    client._socket.sendall(body)  # smpplib would refuse: not bound
    resp = read_command(client, "submit_sm_resp")
    assert resp.status == 0x04  # ESME_RINVBNDSTS
    raw_pdu(client, 0x00000003, 77, b"abc\x00\x00\x00\x00")  # query_sm
    resp = read_command(client, "query_sm_resp")
    assert (resp.status, resp.sequence) == (0x04, 77)
    assert sim.stats["submits"] == 0


def test_receiver_may_not_submit(sim, connect):
    client = connect(sim, bind="receiver")
    pdu = smpplib.smpp.make_pdu("submit_sm", client=client, source_addr="X",
                                destination_addr="380671234567", short_message=b"hi")
    client._socket.sendall(pdu.generate())
    resp = read_command(client, "submit_sm_resp")
    assert resp.status == 0x04


# --- submit and receipts --------------------------------------------------------------


def test_submit_gets_id_and_delivered_receipt(sim, connect):
    client = connect(sim)
    resp = submit_and_resp(client, short_message=b"Your code is 123456, DemoShop")
    assert resp.status == 0
    message_id = resp.message_id.decode()
    assert re.fullmatch(r"[0-9a-f]+", message_id)

    receipt = read_command(client, "deliver_sm")
    assert receipt.esm_class == 0x04
    assert receipt.receipted_message_id == resp.message_id
    assert receipt.message_state == 2
    assert receipt.source_addr == b"380671234567"
    assert receipt.destination_addr == b"DemoShop"
    assert (receipt.source_addr_ton, receipt.dest_addr_ton) == (1, 5)
    text = receipt.short_message
    assert text.startswith(b"id:%s sub:001 dlvrd:001 submit date:" % resp.message_id)
    fields = receipt_fields(text)
    assert fields["stat"] == "DELIVRD" and fields["err"] == "000"
    assert re.fullmatch(r"\d{10}", fields["submit date"])
    assert re.fullmatch(r"\d{10}", fields["done date"])
    assert text.endswith(b" text:Your code is 123456,")  # first 20 characters
    ack(client, receipt)

    assert sim.wait_for(lambda: sim.stats["receipts_acked"] == 1, 2)
    record = sim.messages[message_id]
    assert record.short_message == b"Your code is 123456, DemoShop"
    assert (record.esm_class, record.data_coding) == (0, 0)
    assert record.destination == "380671234567" and record.source == "DemoShop"
    assert record["destination"] == "380671234567"
    assert record.state == 2 and record.receipt_acked
    assert HDR.unpack_from(record.pdu)[1] == 0x00000004  # the submit_sm as received
    assert sim.stats["submits"] == 1 and sim.stats["receipts_sent"] == 1


def test_undeliverable_destination_gets_undeliv(sim, connect):
    client = connect(sim)
    resp = submit_and_resp(client, destination="380670000000")
    receipt = read_command(client, "deliver_sm")
    assert receipt.receipted_message_id == resp.message_id
    assert receipt.message_state == 5
    fields = receipt_fields(receipt.short_message)
    assert (fields["stat"], fields["err"], fields["dlvrd"]) == ("UNDELIV", "001", "000")
    assert sim.messages[resp.message_id.decode()].state == 5


def test_delivery_ratio_zero_fails_everything(make_sim, connect):
    sim = make_sim(delivery_ratio=0.0)
    client = connect(sim)
    submit_and_resp(client)
    assert read_command(client, "deliver_sm").message_state == 5


def test_receipt_waits_for_receipt_delay(make_sim, connect):
    sim = make_sim(receipt_delay=0.4)
    client = connect(sim)
    started = time.monotonic()
    resp = submit_and_resp(client)
    assert nothing_arrives(client, 0.15)
    receipt = read_command(client, "deliver_sm", timeout=2)
    assert time.monotonic() - started >= 0.35
    assert receipt.receipted_message_id == resp.message_id


def test_no_receipt_unless_requested(sim, connect):
    client = connect(sim)
    submit_and_resp(client, registered_delivery=0)
    # registered_delivery 2 = receipt on failure only
    submit_and_resp(client, registered_delivery=2)
    failed = submit_and_resp(client, registered_delivery=2, destination="380990000000")
    receipt = read_command(client, "deliver_sm")
    assert receipt.receipted_message_id == failed.message_id
    assert nothing_arrives(client, 0.1)


def test_lost_receipts_receipt_ratio_zero_sends_none_but_query_sm_knows(make_sim, connect):
    sim = make_sim(receipt_ratio=0.0)
    client = connect(sim)
    resp = submit_and_resp(client)
    assert nothing_arrives(client, 0.2)
    assert sim.stats["receipts_lost"] == 1 and sim.stats["receipts_sent"] == 0
    client.query_message(message_id=resp.message_id.decode(), source_addr_ton=5, source_addr_npi=0,
                         source_addr="DemoShop")
    assert read_command(client, "query_sm_resp").message_state == 2


def test_receipt_goes_to_receiver_of_same_system_id(sim, connect):
    receiver = connect(sim, bind="receiver", system_id="shop")
    other = connect(sim, bind="receiver", system_id="someone-else")
    transmitter = connect(sim, bind="transmitter", system_id="shop")
    resp = submit_and_resp(transmitter)
    receipt = read_command(receiver, "deliver_sm")
    assert receipt.receipted_message_id == resp.message_id
    ack(receiver, receipt)
    assert sim.wait_for(lambda: sim.stats["receipts_acked"] == 1, 2)
    assert nothing_arrives(transmitter, 0.05)
    assert nothing_arrives(other, 0.05)


def test_receipt_queued_until_a_receiver_binds(sim, connect):
    transmitter = connect(sim, bind="transmitter", system_id="shop")
    resp = submit_and_resp(transmitter)
    assert sim.wait_for(lambda: sim.stats["receipts_queued"] == 1, 2)
    receiver = connect(sim, bind="receiver", system_id="shop")
    receipt = read_command(receiver, "deliver_sm")
    assert receipt.receipted_message_id == resp.message_id
    assert sim.stats["receipts_queued"] == 0


def test_tps_cap_throttles(make_sim, connect):
    sim = make_sim(tps=5)
    client = connect(sim)
    for _ in range(20):  # windowed: all sent before reading
        submit(client)
    statuses = []
    while len(statuses) < 20:
        pdu = read(client)
        if pdu.command == "submit_sm_resp":
            statuses.append(pdu.status)
        else:
            ack(client, pdu)
    assert statuses.count(0) == 5
    assert statuses.count(0x58) == 15  # ESME_RTHROTTLED
    assert sim.stats["throttled"] == 15 and sim.stats["submits"] == 5
    assert sim.wait_for(lambda: sim.stats["receipts_sent"] == 5, 1)


def test_concatenated_message_parts_get_own_ids_and_receipts(sim, connect):
    client = connect(sim)
    part1 = UDH_PART1 + b"First part of a long message. " * 4
    part2 = UDH_PART2 + b"Second part."
    ids, receipts = [], {}
    for part in (part1, part2):
        submit(client, short_message=part, esm_class=0x40)
    while len(ids) < 2 or len(receipts) < 2:
        pdu = read(client)
        if pdu.command == "submit_sm_resp":
            assert pdu.status == 0
            ids.append(pdu.message_id.decode())
        else:
            receipts[pdu.receipted_message_id.decode()] = pdu.short_message
            ack(client, pdu)
    assert len(set(ids)) == 2 and set(receipts) == set(ids)
    first, second = (sim.messages[i] for i in ids)
    assert first.short_message == part1 and second.short_message == part2
    assert first.esm_class == 0x40 and first.udh == UDH_PART1
    assert (first.concat, second.concat) == ((0x2A, 2, 1), (0x2A, 2, 2))
    assert receipts[ids[0]].endswith(b"text:First part of a long")
    assert receipts[ids[1]].endswith(b"text:Second part.")


def test_ucs2_submit_is_kept_byte_exact(sim, connect):
    client = connect(sim)
    raw = "Привіт, світ! Код 4821".encode("utf-16-be")
    resp = submit_and_resp(client, short_message=raw, data_coding=8)
    record = sim.messages[resp.message_id.decode()]
    assert record.short_message == raw and record.data_coding == 8
    assert record.text == "Привіт, світ! Код 4821"
    receipt = read_command(client, "deliver_sm")
    assert receipt.short_message.endswith(b"text:" + b"?" * 6 + b", " + b"?" * 4 + b"! " + b"?" * 3 + b" 48")


def test_decimal_ids_and_process_wide_uniqueness(make_sim, connect):
    hex_sim = make_sim()
    dec_sim = make_sim(id_format="decimal", receipt_id_format="hex")
    a = submit_and_resp(connect(hex_sim)).message_id.decode()
    client = connect(dec_sim)
    b = submit_and_resp(client).message_id.decode()
    assert b.isdigit() and int(b) != int(a, 16)
    receipt = read_command(client, "deliver_sm")
    assert receipt.receipted_message_id.decode() == b  # TLV keeps the submit_sm_resp id
    assert receipt_fields(receipt.short_message)["id"] == format(int(b), "x")


# --- other commands -------------------------------------------------------------------


def test_enquire_link(sim, connect):
    client = connect(sim)
    pdu = smpplib.smpp.make_pdu("enquire_link", client=client)
    client.send_pdu(pdu)
    resp = read_command(client, "enquire_link_resp")
    assert resp.sequence == pdu.sequence and resp.status == 0


def test_unbind_gets_resp_then_close(sim, connect):
    client = connect(sim)
    resp = client.unbind()
    assert resp.command == "unbind_resp" and resp.status == 0
    with pytest.raises(smpplib.exceptions.ConnectionError):
        read(client, 1)  # server closed the socket
    assert sim.wait_for(lambda: sim.stats["sessions"] == 0, 1)
    assert sim.stats["unbinds"] == 1


def test_query_sm_states(make_sim, connect):
    sim = make_sim(receipt_delay=0.3)
    client = connect(sim)
    ok = submit_and_resp(client).message_id.decode()
    bad = submit_and_resp(client, destination="380500000000").message_id.decode()

    def query(message_id):
        client.query_message(message_id=message_id, source_addr_ton=5, source_addr_npi=0,
                             source_addr="DemoShop")
        while True:
            pdu = read(client)
            if pdu.command == "query_sm_resp":
                return pdu
            ack(client, pdu)

    early = query(ok)
    assert early.status == 0 and early.message_state == 1 and early.final_date == b""
    assert early.message_id.decode() == ok
    time.sleep(0.35)
    late = query(ok)
    assert late.message_state == 2 and re.fullmatch(rb"\d{12}\d00\+", late.final_date)
    assert query(bad).message_state == 5
    assert query("nonexistent").status == 0x67  # ESME_RQUERYFAIL
    assert sim.stats["query_sm"] == 4


def test_unknown_command_gets_generic_nack(sim, connect):
    client = connect(sim)
    raw_pdu(client, 0x00000099, 1234)
    nack = read_command(client, "generic_nack")
    assert (nack.status, nack.sequence) == (0x03, 1234)  # ESME_RINVCMDID
    # the session still works afterwards
    assert submit_and_resp(client).status == 0


def test_mo_injection(sim, connect):
    client = connect(sim, bind="receiver")
    assert sim.inject_mo(source="+380671234567", destination="DemoShop", text="STOP") is True
    mo = read_command(client, "deliver_sm")
    assert mo.esm_class == 0x00 and mo.data_coding == 0
    assert mo.short_message == b"STOP"
    assert mo.source_addr == b"+380671234567" and mo.destination_addr == b"DemoShop"
    ack(client, mo)
    sim.inject_mo(source="+380671234567", destination="DemoShop", text="Стоп")
    mo = read_command(client, "deliver_sm")
    assert mo.data_coding == 8 and mo.short_message.decode("utf-16-be") == "Стоп"
    ack(client, mo)
    assert sim.wait_for(lambda: sim.stats["mo_acked"] == 2, 2)


def test_mo_text_uses_gsm_septets_for_data_coding_0(sim, connect):
    client = connect(sim, bind="transceiver")
    sim.inject_mo(source="380671234567", destination="DemoShop", text="Pay @ 10_00")
    mo = read_command(client, "deliver_sm")
    assert (mo.data_coding, mo.short_message) == (0, b"Pay \x00 10\x1100")
    sim.inject_mo(source="380671234567", destination="DemoShop", text="`quoted`")
    mo = read_command(client, "deliver_sm")  # a backtick has no GSM septet: UCS-2
    assert (mo.data_coding, mo.short_message) == (8, "`quoted`".encode("utf-16-be"))


def test_mo_waits_for_a_receiver(sim, connect):
    assert sim.inject_mo(source="380671234567", destination="DemoShop", text="HELP") is False
    client = connect(sim, bind="transceiver")
    assert read_command(client, "deliver_sm").short_message == b"HELP"


# --- robustness helpers ---------------------------------------------------------------


def test_random_disconnect_closes_socket(make_sim, connect):
    sim = make_sim(disconnect_probability=1.0)
    client = connect(sim)
    submit(client)
    with pytest.raises(smpplib.exceptions.ConnectionError):
        read(client, 1)
    assert sim.stats["disconnects"] == 1 and sim.stats["submits"] == 0


def test_unacked_receipts_redelivered_on_reconnect(make_sim, connect):
    sim = make_sim(redeliver_unacked=True)
    first = connect(sim)
    resp = submit_and_resp(first)
    read_command(first, "deliver_sm")  # not acknowledged
    first.disconnect()
    second = connect(sim)
    again = read_command(second, "deliver_sm")
    assert again.receipted_message_id == resp.message_id


def test_message_records_are_bounded(make_sim, connect):
    sim = make_sim(max_messages=3)
    client = connect(sim)
    ids = [submit_and_resp(client, registered_delivery=0).message_id.decode() for _ in range(5)]
    assert list(sim.messages) == ids[2:]


def test_stop_is_idempotent_and_closes_sessions(make_sim, connect):
    sim = make_sim()
    client = connect(sim)
    sim.stop()
    sim.stop()
    assert not sim.running
    with pytest.raises(smpplib.exceptions.ConnectionError):
        read(client, 1)


# --- codec against smpplib -------------------------------------------------------------


def test_fast_codec_matches_smpplib():
    class Seq:
        sequence = 0

        def next_sequence(self):
            return 1

    pdu = smpplib.smpp.make_pdu(
        "submit_sm", client=Seq(), source_addr_ton=5, source_addr="DemoShop",
        dest_addr_ton=1, dest_addr_npi=1, destination_addr="380671234567", esm_class=0x40,
        data_coding=8, registered_delivery=1, short_message=UDH_PART1 + "Ї".encode("utf-16-be"),
        sar_msg_ref_num=7, sar_total_segments=2, sar_segment_seqnum=1)
    raw = pdu.generate()
    (src_ton, src_npi, src, dst_ton, dst_npi, dst, esm_class, _pid, reg, dc, sm,
     tlvs) = simulator_module.decode_submit_sm(raw[16:])
    assert (src_ton, src, dst_ton, dst_npi, dst) == (5, b"DemoShop", 1, 1, b"380671234567")
    assert (esm_class, reg, dc, sm) == (0x40, 1, 8, pdu.short_message)
    assert tlvs[0x020C] == b"\x00\x07" and tlvs[0x020E] == b"\x02"

    encoded = simulator_module.encode_deliver_sm(
        9, 1, 1, b"380671234567", 5, 0, b"DemoShop", 0x04, 0, b"id:1 stat:DELIVRD",
        struct.pack(">HH", 0x001E, 2) + b"1\x00" + struct.pack(">HHB", 0x0427, 1, 2))
    parsed = smpplib.smpp.parse_pdu(encoded, client=Seq(), allow_unknown_opt_params=True)
    assert parsed.command == "deliver_sm" and parsed.sequence == 9
    assert (parsed.source_addr, parsed.destination_addr) == (b"380671234567", b"DemoShop")
    assert parsed.short_message == b"id:1 stat:DELIVRD"
    assert (parsed.receipted_message_id, parsed.message_state) == (b"1", 2)


def test_control_port_injects_mo_scripts_faults_and_reads_counters(sim, connect):
    from messaging.smpp.simulator_control import ControlServer, control_request

    control = ControlServer(sim).start()
    try:
        client = connect(sim)
        assert control_request(control.port, {"cmd": "mo", "source": "380671234567", "destination": "DemoShop",
                                              "text": "СТОП"}) == {"ok": True, "sent": True}
        mo = read_command(client, "deliver_sm")
        assert mo.short_message.decode("utf-16-be") == "СТОП" and mo.esm_class == 0
        assert control_request(control.port, {"cmd": "submit_error", "status": 0x08, "count": 1})["ok"]
        submit(client)
        assert read_command(client, "submit_sm_resp").status == 0x08
        assert control_request(control.port, {"cmd": "stats"})["stats"]["mo_sent"] == 1
        assert control_request(control.port, {"cmd": "nope"})["ok"] is False
        assert control_request(control.port, {"cmd": "mo"})["ok"] is False  # missing fields: an answer, not a crash
    finally:
        control.stop()


# --- memory across restarts (state_dir) --------------------------------------------------


def test_state_dir_counts_duplicates_across_restarts_and_resends_owed_receipts(make_sim, connect, tmp_path):
    first_sim = make_sim(state_dir=str(tmp_path), receipt_delay=0.0)
    first = connect(first_sim)
    acked = submit_and_resp(first, destination="380671111111").message_id
    ack(first, read_command(first, "deliver_sm"))
    owed = submit_and_resp(first, destination="380672222222").message_id
    read_command(first, "deliver_sm")  # sent, never acknowledged
    assert first_sim.wait_for(lambda: first_sim.stats["receipts_acked"] == 1, 2)
    assert first_sim.counts() == {"accepted_total": 2, "duplicates_by_text": 0, "duplicates_by_ref": 0,
                                  "receipts_pending": 1, "restarts": 0, "persistent": True}
    first_sim.stop()  # the SMSC goes down with a receipt owed

    second_sim = make_sim(state_dir=str(tmp_path), receipt_delay=0.0)
    second = connect(second_sim)
    again = read_command(second, "deliver_sm")  # after the bind, without a new submit
    assert again.receipted_message_id == owed
    nothing_arrives(second, 0.3)  # the acknowledged one is not sent again
    ack(second, again)
    resent = submit_and_resp(second, destination="380671111111").message_id  # the same SMS again
    ack(second, read_command(second, "deliver_sm"))
    assert second_sim.wait_for(lambda: second_sim.counts()["receipts_pending"] == 0, 2)
    assert len({acked, owed, resent}) == 3  # ids do not repeat across runs
    assert second_sim.counts() == {"accepted_total": 3, "duplicates_by_text": 1, "duplicates_by_ref": 0,
                                   "receipts_pending": 0, "restarts": 1, "persistent": True}
    assert [row[0] for row in second_sim.duplicates()] == ["380671111111"]
    query = smpplib.smpp.make_pdu("query_sm", client=second, message_id=acked.decode(),
                                  source_addr_ton=5, source_addr="DemoShop")
    second.send_pdu(query)
    assert read_command(second, "query_sm_resp").message_state == 2  # old ids still answered


def test_state_dir_receipt_due_after_restart_waits_for_its_time(make_sim, connect, tmp_path):
    first_sim = make_sim(state_dir=str(tmp_path), receipt_delay=0.6)
    first = connect(first_sim)
    message_id = submit_and_resp(first).message_id
    first_sim.stop()  # before the receipt was due
    second_sim = make_sim(state_dir=str(tmp_path), receipt_delay=0.6)
    second = connect(second_sim)
    receipt = read_command(second, "deliver_sm", timeout=3)
    assert receipt.receipted_message_id == message_id


def test_state_dir_unacked_receipt_resent_on_the_next_bind(make_sim, connect, tmp_path):
    sim = make_sim(state_dir=str(tmp_path))
    first = connect(sim)
    message_id = submit_and_resp(first).message_id
    read_command(first, "deliver_sm")
    first.disconnect()
    second = connect(sim)
    assert read_command(second, "deliver_sm").receipted_message_id == message_id


def test_counts_without_state_dir_and_by_user_message_reference(sim, connect):
    from messaging.smpp.simulator_control import ControlServer, control_request

    client = connect(sim)
    submit_and_resp(client, registered_delivery=0, user_message_reference=7)
    submit_and_resp(client, registered_delivery=0, user_message_reference=7, destination="380501112233")
    control = ControlServer(sim).start()
    try:
        counts = control_request(control.port, {"cmd": "counts"})["counts"]
    finally:
        control.stop()
    assert counts == {"accepted_total": 2, "duplicates_by_text": 0, "duplicates_by_ref": 1,
                      "receipts_pending": 0, "restarts": 0, "persistent": False}


def test_response_delay_answers_submits_late_in_order(make_sim, connect):
    sim = make_sim(response_delay=0.3)
    client = connect(sim)
    started = time.monotonic()
    first, second = submit(client, registered_delivery=0), submit(client, registered_delivery=0)
    assert sim.wait_for(lambda: sim.stats["submits"] == 2, 1)  # accepted at once ...
    assert [read_command(client, "submit_sm_resp").sequence for _ in range(2)] == [first.sequence, second.sequence]
    assert time.monotonic() - started >= 0.3  # ... answered late
