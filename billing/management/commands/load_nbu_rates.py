"""`manage.py load_nbu_rates FILE.json`: stores NBU's official EUR/UAH rates (R-BILL-08).

The file is NBU's JSON as served by bank.gov.ua, e.g.
`[{"r030":978,"txt":"Євро","rate":45.1234,"cc":"EUR","exchangedate":"24.11.2026"}]`
(one day or many). `-` reads standard input. A day loaded again is replaced.
"""
import sys

from django.core.management.base import BaseCommand, CommandError

from billing.services import exchange_rates_load
from smsportal.errors import ApplicationError


class Command(BaseCommand):
    help = "Loads NBU EUR/UAH rates from an NBU JSON file (or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="NBU JSON file, or - for standard input")

    def handle(self, *args, **options):
        name = options["file"]
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                with open(name, encoding="utf-8") as fh:
                    text = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc}") from None
        try:
            created, updated = exchange_rates_load(text)
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(self.style.SUCCESS(f"NBU rates loaded: {created} new, {updated} updated."))
