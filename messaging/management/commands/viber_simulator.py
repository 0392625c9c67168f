"""``manage.py viber_simulator``: run the Viber provider simulator (messaging.viber.simulator) in the
foreground: a TurboSMS-like JSON API (messaging.viber.wire) that validates sends like the partners,
answers with provider ids, and POSTs signed status and inbound webhooks to ``--callback-url``.

Example::

    python manage.py viber_simulator --port 8095 --callback-url http://127.0.0.1:8000/viber/webhook/ \\
        --secret whsec_demo --delay 1

Scenarios: see ``--help`` (messaging.viber.simulator.SCENARIOS).

Stops on SIGINT/SIGTERM.
"""
import logging
import signal
import sys
import threading
from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError

from messaging.viber.simulator import SCENARIOS, SimulatorConfig, ViberSimulator

logger = logging.getLogger("smsportal.viber.simulator")



class Command(BaseCommand):
    help = ("Run the Viber provider simulator (POST /message/send.json, /message/status.json; signed webhooks "
            "to --callback-url). Scenarios by the recipient number's last two digits (d = --delay):\n" + SCENARIOS)

    # The simulator needs neither the database nor a complete project configuration.
    requires_system_checks = []
    requires_migrations_checks = False

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8095)
        parser.add_argument("--callback-url", default="",
                            help="where signed status and inbound webhooks are POSTed (default: none; poll only)")
        parser.add_argument("--secret", default="", help="the webhooks' HMAC-SHA256 signing secret")
        parser.add_argument("--token", default="", help="the only bearer token accepted (default: any)")
        parser.add_argument("--delay", type=float, default=0.5, help="seconds between a scenario's steps (d)")
        parser.add_argument("--reply-after", type=float, default=2.0,
                            help="scenario 07: seconds from seen to the recipient's reply")
        parser.add_argument("--ttl-scale", type=float, default=1.0,
                            help="multiplies the TTL before scenarios 03/04 expire (tests: 0.01)")
        parser.add_argument("--shared-sender", default="",
                            help="the shared sender name: transactional messages from it are refused (415)")
        parser.add_argument("--max-records", type=int, default=200_000,
                            help="messages remembered for polls and idempotency; the oldest are forgotten")

    def handle(self, *args, **options):
        self._ensure_logging(options.get("verbosity", 1))
        try:
            config = SimulatorConfig(host=options["host"], port=options["port"],
                                     callback_url=options["callback_url"], secret=options["secret"],
                                     token=options["token"], delay=options["delay"],
                                     reply_after=options["reply_after"], ttl_scale=options["ttl_scale"],
                                     shared_sender=options["shared_sender"],
                                     max_records=options["max_records"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        simulator = ViberSimulator(config)
        try:
            simulator.start()
        except OSError as exc:
            raise CommandError("cannot listen on %s:%s: %s" % (config.host, config.port, exc)) from exc
        stopped = threading.Event()

        def _stop(signum, frame):
            logger.info("signal %s: stopping the Viber simulator", signum)
            stopped.set()

        previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
        logger.info("Viber simulator on http://%s:%s (delay=%ss, webhooks to %s, token %s)", config.host,
                    simulator.port, config.delay, config.callback_url or "nowhere (poll only)",
                    "checked" if config.token else "any")
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()
            logger.info("Viber simulator stopped: %s", simulator.stats)
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @staticmethod
    def _ensure_logging(verbosity):
        """Make the INFO lines visible even when LOGGING does not mention this logger."""
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.DEBUG if verbosity >= 3 else logging.INFO)
        if not logger.hasHandlers():
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            logger.addHandler(handler)
