"""A control port for an SMSC simulator running as its own process (`manage.py smsc_simulator
--control-port N`): inject mobile-originated SMS, script faults, read the counters.

One JSON object a line in, one JSON object a line back, on 127.0.0.1 only::

    {"cmd": "mo", "source": "380671234567", "destination": "DemoShop", "text": "СТОП"}
        -> {"ok": true, "sent": true}        (false: queued until a receiver binds)
    {"cmd": "stats"}                          -> {"ok": true, "stats": {...}}
    {"cmd": "submit_error", "status": 8, "destination": "380671234567", "count": 2}
    {"cmd": "drop_responses", "destination": null, "count": 1}
    {"cmd": "unbind_all"} / {"cmd": "disconnect_all"} / {"cmd": "freeze_all"}  -> {"ok": true, "count": 1}
    {"cmd": "counts"}  -> {"ok": true, "counts": {"accepted_total": 300, "duplicates_by_text": 0,
                           "duplicates_by_ref": 0, "receipts_pending": 0, "restarts": 1, "persistent": true}}
                          (over every run sharing --state-dir; see SmscSimulator.counts)
    {"cmd": "duplicates", "limit": 20}  -> {"ok": true, "duplicates": [[destination, text hash, times], ...]}

`manage.py smsc_control` is the client (and `control_request` below, for tests).
"""
from __future__ import annotations

import json
import socket
import socketserver
import threading

from .simulator import SmscSimulator


def _handle(sim: SmscSimulator, request: dict) -> dict:
    cmd = request.get("cmd")
    if cmd == "mo":
        sent = sim.inject_mo(source=str(request["source"]), destination=str(request["destination"]),
                             text=str(request.get("text", "")))
        return {"ok": True, "sent": bool(sent)}
    if cmd == "stats":
        return {"ok": True, "stats": dict(sim.stats)}
    if cmd == "counts":
        return {"ok": True, "counts": sim.counts()}
    if cmd == "duplicates":
        return {"ok": True, "duplicates": sim.duplicates(int(request.get("limit", 20)))}
    if cmd == "submit_error":
        sim.inject_submit_error(int(request["status"]), request.get("destination"), int(request.get("count", 1)))
        return {"ok": True}
    if cmd == "drop_responses":
        sim.drop_submit_responses(request.get("destination"), int(request.get("count", 1)))
        return {"ok": True}
    if cmd == "unbind_all":
        return {"ok": True, "count": sim.unbind_all()}
    if cmd == "disconnect_all":
        return {"ok": True, "count": sim.disconnect_all()}
    if cmd == "freeze_all":
        return {"ok": True, "count": sim.freeze_all()}
    return {"ok": False, "error": f"unknown command {cmd!r}"}


class ControlServer:
    """Serves the control protocol for `sim` on 127.0.0.1:`port` (0: any free port) in a thread."""

    def __init__(self, sim: SmscSimulator, port: int = 0, host: str = "127.0.0.1"):
        simulator = sim

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                for line in self.rfile:
                    if not line.strip():
                        continue
                    try:
                        answer = _handle(simulator, json.loads(line))
                    except Exception as exc:  # noqa: BLE001 (a bad request gets an answer, not a dead port)
                        answer = {"ok": False, "error": str(exc)}
                    self.wfile.write(json.dumps(answer).encode() + b"\n")
                    self.wfile.flush()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="smsc-control", daemon=True)

    def start(self) -> "ControlServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def control_request(port: int, payload: dict, host: str = "127.0.0.1", timeout: float = 5.0) -> dict:
    """Sends one command to a simulator's control port and returns its answer."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(json.dumps(payload).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data or b"{}")
