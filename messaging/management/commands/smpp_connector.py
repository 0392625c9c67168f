"""`manage.py smpp_connector [--route NAME ...]`: the long-running SMPP connector.

Each route runs `route.binds` binds, one thread each (messaging.smpp.connector). In production run
one process per route (`--route NAME`); with no --route it serves every active route (the demo).
SIGTERM / SIGINT stop it cleanly: binds stop writing, wait briefly for answers, save, unbind.
"""
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from messaging.models import Route
from messaging.smpp.connector import Connector

log = logging.getLogger("smsportal.connector")


class Command(BaseCommand):
    help = "Runs the SMPP connector for one or more routes until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--route", action="append", default=[], help="route name (repeatable)")

    def handle(self, *args, **options):
        names = options["route"]
        routes = list(Route.objects.filter(name__in=names) if names else Route.objects.filter(is_active=True))
        missing = set(names) - {r.name for r in routes}
        if missing:
            raise CommandError(f"No such route: {', '.join(sorted(missing))}")
        if not routes:
            raise CommandError("No active route. Add one in the admin (Messaging → Routes) or run seed_demo.")
        stop = threading.Event()

        def _stop(signum, frame):
            log.info("stopping connectors (signal %s)", signum)
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        threads = []
        for route in routes:
            t = threading.Thread(target=Connector(route.pk, stop).run, name=f"connector-{route.name}", daemon=True)
            t.start()
            threads.append(t)
            self.stdout.write(f"connector for route {route.name} → {route.host}:{route.port} ({route.binds} bind(s))")
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.5)
