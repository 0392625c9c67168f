"""``manage.py smsc_simulator``: run the SMPP 3.4 SMSC simulator in the foreground.

Example::

    python manage.py smsc_simulator --port 2775 --receipt-delay 1.0 --delivery-ratio 0.95

Stops on SIGINT/SIGTERM. Logs one line per bind/unbind and, every ``--stats-interval``
seconds when they moved, a counter line through the ``smsportal.smsc`` logger at INFO.
Destinations ending in ``--undeliverable-suffix`` (default 0000) always get UNDELIV.
"""
import logging
import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from messaging.smpp.simulator import SimulatorConfig, SmscSimulator

logger = logging.getLogger("smsportal.smsc")


class Command(BaseCommand):
    help = "Run the SMPP 3.4 SMSC simulator (submit_sm, receipts, MO, query_sm) in the foreground."

    # No system checks and no migration checks: the simulator needs neither the database
    # nor a complete project configuration.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2775)
        parser.add_argument("--receipt-delay", type=float, default=1.0,
                            help="seconds between submit_sm and its receipt (default 1.0)")
        parser.add_argument("--response-delay", type=float, default=0.0,
                            help="seconds before each submit_sm_resp, an operator's latency (default 0)")
        parser.add_argument("--delivery-ratio", type=float, default=1.0,
                            help="probability of DELIVRD, else UNDELIV (default 1.0)")
        parser.add_argument("--tps", type=int, default=0,
                            help="accepted submit_sm per second per system_id; 0 = unlimited")
        parser.add_argument("--system-id", default=None,
                            help="only this system_id may bind (default: any)")
        parser.add_argument("--password", default=None,
                            help="only this password may bind (default: any)")
        parser.add_argument("--id-format", choices=("hex", "decimal"), default="hex")
        parser.add_argument("--receipt-id-format", choices=("same", "hex", "decimal"),
                            default="same", help="base of the id in the receipt text")
        parser.add_argument("--disconnect-probability", type=float, default=0.0,
                            help="chance per submit_sm of dropping the connection abruptly")
        parser.add_argument("--max-binds", type=int, default=0,
                            help="sessions per system_id; 0 = unlimited")
        parser.add_argument("--undeliverable-suffix", default="0000",
                            help='destinations ending so are always UNDELIV ("" = off)')
        parser.add_argument("--receipt-ratio", type=float, default=1.0,
                            help="share of requested receipts actually sent; the rest are lost (query_sm "
                                 "still answers). Default 1.0")
        parser.add_argument("--no-receipt-tlvs", action="store_true",
                            help="receipts in the text form only (no receipted_message_id / message_state)")
        parser.add_argument("--control-port", type=int, default=None,
                            help="also listen on 127.0.0.1:PORT for control commands (MO injection, faults, "
                                 "counters; see messaging.smpp.simulator_control and manage.py smsc_control)")
        parser.add_argument("--state-dir", default=None,
                            help="keep accepted submits and unacknowledged receipts in this directory across "
                                 "restarts (duplicates counted over all runs; owed receipts re-sent after a bind)")
        parser.add_argument("--redeliver-unacked", action="store_true",
                            help="send again the receipts of a session that went away unacknowledged "
                                 "(always on with --state-dir)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--stats-interval", type=float, default=10.0,
                            help="seconds between counter lines; 0 = none")

    def handle(self, *args, **options):
        self._ensure_logging(options.get("verbosity", 1))
        try:
            config = SimulatorConfig(
                host=options["host"],
                port=options["port"],
                receipt_delay=options["receipt_delay"],
                response_delay=options["response_delay"],
                delivery_ratio=options["delivery_ratio"],
                tps=options["tps"],
                system_id=options["system_id"],
                password=options["password"],
                id_format=options["id_format"],
                receipt_id_format=options["receipt_id_format"],
                disconnect_probability=options["disconnect_probability"],
                max_binds=options["max_binds"],
                undeliverable_suffix=options["undeliverable_suffix"],
                receipt_ratio=options["receipt_ratio"],
                receipt_tlvs=not options["no_receipt_tlvs"],
                seed=options["seed"],
                state_dir=options["state_dir"],
                redeliver_unacked=options["redeliver_unacked"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        simulator = SmscSimulator(config)
        try:
            simulator.start()
        except OSError as exc:
            raise CommandError("cannot listen on %s:%s: %s" % (config.host, config.port, exc))
        except Exception as exc:  # an unreadable --state-dir
            raise CommandError("cannot start: %s" % exc)
        control = None
        if options["control_port"] is not None:
            from messaging.smpp.simulator_control import ControlServer  # noqa: PLC0415

            try:
                control = ControlServer(simulator, options["control_port"]).start()
            except OSError as exc:
                simulator.stop()
                raise CommandError("cannot listen on the control port %s: %s" % (options["control_port"], exc))
            logger.info("control port on 127.0.0.1:%s", control.port)

        def _stop(signum, frame):
            logger.info("signal %s: stopping the SMSC simulator", signum)
            simulator.stop()

        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _stop)
        logger.info(
            "SMSC simulator on %s:%s (receipt_delay=%ss delivery_ratio=%s tps=%s credentials=%s)",
            config.host, simulator.port, config.receipt_delay, config.delivery_ratio,
            config.tps or "unlimited",
            "any" if config.system_id is None and config.password is None else "checked")
        try:
            simulator.serve_forever(stats_interval=options["stats_interval"])
        except KeyboardInterrupt:
            pass
        finally:
            if control is not None:
                control.stop()
            simulator.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @staticmethod
    def _ensure_logging(verbosity):
        """Make the INFO lines visible even when LOGGING does not mention this logger."""
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.DEBUG if verbosity >= 3 else logging.INFO)
        if not logger.hasHandlers():
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            logger.addHandler(handler)
