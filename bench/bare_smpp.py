#!/usr/bin/env python
"""The dispatch benchmark's limit: a bare smpplib loop, no database, no product code.

One `smpplib.client.Client` in one thread, TCP_NODELAY, bind_transceiver, a window of
outstanding submit_sm (same size as the route's), the very PDUs the connector sends (fields and
payload bytes prepared by the benchmark from the same messages), every submit_sm_resp read and
its status checked, every receipt (deliver_sm) read and answered with deliver_sm_resp at once.

    bare_smpp.py --port P --pdus FILE.json --window 50 [--warmup 1000]

Prints one JSON line: n, seconds to the last submit_sm_resp, seconds to the last receipt.
Timed from the first submit_sm after the bind (and after the warm-up, when given).
"""
from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import time

import smpplib.client
import smpplib.consts
import smpplib.smpp


def run_batch(client, sock, pdus: list[dict], window: int, timeout: float = 120.0) -> dict:
    n = len(pdus)
    sent = acked = receipts = errors = 0
    inflight = 0
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    t_acked = t_receipts = None
    deadline = time.monotonic() + timeout
    while (acked < n or receipts < n - errors) and time.monotonic() < deadline:
        while sent < n and inflight < window:
            f = pdus[sent]
            pdu = smpplib.smpp.make_pdu(
                "submit_sm", client=client, service_type=f["service_type"],
                source_addr_ton=f["source_addr_ton"], source_addr_npi=f["source_addr_npi"],
                source_addr=f["source_addr"], dest_addr_ton=1, dest_addr_npi=1,
                destination_addr=f["destination_addr"], esm_class=f["esm_class"], data_coding=f["data_coding"],
                registered_delivery=1, short_message=bytes.fromhex(f["short_message"]))
            client.send_pdu(pdu)
            sent += 1
            inflight += 1
        readable, _, _ = select.select([sock], [], [], 1.0)
        while readable:
            pdu = client.read_pdu()
            if pdu.command == "submit_sm_resp" or pdu.command == "generic_nack":
                inflight -= 1
                acked += 1
                if int(pdu.status or 0) != 0:
                    errors += 1
                if acked == n:
                    t_acked = time.perf_counter()
            elif pdu.command == "deliver_sm":
                client.send_pdu(smpplib.smpp.make_pdu("deliver_sm_resp", client=client, sequence=pdu.sequence))
                if (int(pdu.esm_class or 0) & 0x3C) == 0x04:
                    receipts += 1
                    if receipts == n - errors:
                        t_receipts = time.perf_counter()
            elif pdu.command == "enquire_link":
                client.send_pdu(smpplib.smpp.make_pdu("enquire_link_resp", client=client, sequence=pdu.sequence))
            readable, _, _ = select.select([sock], [], [], 0)
    return {"n": n, "acked": acked, "errors": errors, "receipts": receipts,
            "cpu_s": round(time.process_time() - cpu0, 3),
            "submit_s": (t_acked - t0) if t_acked else None,
            "receipts_s": (t_receipts - t0) if t_receipts else None}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pdus", required=True)
    p.add_argument("--window", type=int, default=50)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--system-id", default="smsportal")
    p.add_argument("--password", default="secret")
    args = p.parse_args()
    with open(args.pdus) as fh:
        pdus = json.load(fh)

    client = smpplib.client.Client(args.host, args.port, timeout=30, allow_unknown_opt_params=True)
    client.connect()
    sock = client._socket
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind_transceiver(system_id=args.system_id, password=args.password)
    out = {}
    if args.warmup:
        out["warmup"] = run_batch(client, sock, pdus[:args.warmup], args.window)
    out["measured"] = run_batch(client, sock, pdus[args.warmup:], args.window)
    try:
        client.unbind()
    except Exception:  # noqa: BLE001 (smpplib may read a late PDU or raise ConnectionError here)
        pass
    client.disconnect()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
