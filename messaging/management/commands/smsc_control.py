"""`manage.py smsc_control`: commands to a running SMSC simulator's control port.

    manage.py smsc_control --port 2776 mo 380671234567 DemoShop "СТОП"
    manage.py smsc_control --port 2776 stats
    manage.py smsc_control --port 2776 counts       (accepted submits and duplicates over every run)
    manage.py smsc_control --port 2776 unbind_all
"""
import json

from django.core.management.base import BaseCommand, CommandError

from messaging.smpp.simulator_control import control_request


class Command(BaseCommand):
    help = "Injects an inbound SMS into, scripts a fault on, or reads the counters of a running SMSC simulator."

    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=2776, help="the simulator's --control-port (default 2776)")
        parser.add_argument("command", choices=["mo", "stats", "counts", "duplicates", "unbind_all",
                                                       "disconnect_all", "freeze_all", "submit_error"])
        parser.add_argument("params", nargs="*",
                            help="mo: SOURCE DESTINATION TEXT; submit_error: STATUS [DESTINATION [COUNT]]")

    def handle(self, *args, **options):
        cmd, rest = options["command"], options["params"]
        payload = {"cmd": cmd}
        if cmd == "mo":
            if len(rest) != 3:
                raise CommandError("mo needs SOURCE DESTINATION TEXT")
            payload.update(source=rest[0], destination=rest[1], text=rest[2])
        elif cmd == "submit_error":
            if not rest:
                raise CommandError("submit_error needs STATUS [DESTINATION [COUNT]]")
            payload.update(status=int(rest[0], 0), destination=rest[1] if len(rest) > 1 else None,
                           count=int(rest[2]) if len(rest) > 2 else 1)
        try:
            answer = control_request(options["port"], payload)
        except OSError as exc:
            raise CommandError(f"no simulator control port on 127.0.0.1:{options['port']}: {exc}") from exc
        self.stdout.write(json.dumps(answer, ensure_ascii=False))
        if not answer.get("ok"):
            raise CommandError(answer.get("error", "failed"))
