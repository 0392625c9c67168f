"""`manage.py devservers start|watch|stop|status`: the PostgreSQL and Valkey servers of `make run`
(smsportal.devservers), with their data under SMSPORTAL_VAR_DIR (`var/`)."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from smsportal import devservers


class Command(BaseCommand):
    help = ("Starts, watches or stops the demo's PostgreSQL (var/pg) and Valkey (var/valkey); "
            "a server whose URL is set (DATABASE_URL, CELERY_BROKER_URL) is left alone.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "watch", "stop", "status"])

    def handle(self, *args, action, **options):
        wanted = devservers.servers(settings.VAR_DIR, pg_port=settings.SMSPORTAL_DEV_PG_PORT,
                                    valkey_port=settings.SMSPORTAL_DEV_VALKEY_PORT)
        try:
            if action == "start":
                devservers.start(wanted)
            elif action == "watch":
                devservers.watch(wanted)
            elif action == "stop":
                devservers.stop(wanted)
            else:
                for server in wanted:
                    state = "running" if server.ready() else "stopped"
                    self.stdout.write(f"{server.name}: {state}, {server.url}, data {server.data_dir}")
        except devservers.DevServerError as exc:
            raise CommandError(str(exc)) from exc
