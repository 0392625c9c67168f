"""The SMPP connector's heartbeat, end to end: /healthz is 200 while the real connector process
(`manage.py smpp_connector`) is bound to the simulator, and 503 once its bind is gone."""
import pytest

from messaging.models import BindHeartbeat
from messaging.smpp.simulator import SimulatorConfig, SmscSimulator
from tests.e2e.processes import wait_until
from tests.factories import RouteFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_healthz_follows_the_connectors_bind(live, client):
    sim = SmscSimulator(SimulatorConfig(port=0, receipt_delay=0.0)).start()
    try:
        route = RouteFactory(name="health", port=sim.port, binds=1)
        connector = live.connector("health", SMSPORTAL_BIND_HEARTBEAT_SECONDS="0.5", SMSPORTAL_BIND_STALE_SECONDS="3")
        ok = wait_until(lambda: client.get("/healthz").status_code == 200, timeout=30)
        assert ok, (client.get("/healthz").json(), live.logs())
        routes = client.get("/healthz").json()["checks"]["routes"]["routes"]
        assert routes == [{"route": "health", "binds_up": 1, "binds": 1, "ok": True}]
        row = BindHeartbeat.objects.get(route=route)
        assert row.bound_since is not None and row.window_size == route.window_size
    finally:
        sim.stop()
    # The SMSC went away: the bind is down (it keeps reconnecting), the heartbeat says so.
    assert wait_until(lambda: client.get("/healthz").status_code == 503, timeout=30), live.logs()
    assert BindHeartbeat.objects.get(route=route).bound_since is None
    connector.terminate()
    connector.wait(timeout=20)
    assert not BindHeartbeat.objects.filter(route=route).exists()  # a clean stop takes its rows away
