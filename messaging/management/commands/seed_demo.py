"""`manage.py seed_demo`: the demo data `make run` needs. Safe to run again."""
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from accounts.models import User
from accounts.services import client_create
from billing.models import Tariff
from billing.services import wallet_topup
from compliance.services import sending_hours_exemption_grant
from messaging.models import Route
from senders.models import SenderName
from senders.services import sender_name_approve

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-pass-2026"
STAFF_EMAIL = "admin@example.com"
STAFF_PASSWORD = "admin-pass-2026"


class Command(BaseCommand):
    help = "Creates the demo staff user, demo client (500 UAH, sender DemoShop), a tariff and a simulator route."

    def add_arguments(self, parser):
        parser.add_argument("--smsc-port", type=int, default=2775)

    @transaction.atomic
    def handle(self, *args, **options):
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
        EmailAddress.objects.get_or_create(user=staff, email=STAFF_EMAIL, defaults={"verified": True, "primary": True})

        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, first_name="Demo", last_name="Client")
        EmailAddress.objects.get_or_create(user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True})
        client = user.client or client_create(name="Demo Shop LLC", owner=user)
        wallet_topup(client=client, amount=Decimal("500"), key="demo:initial", actor=staff,
                     description="Demo balance")
        # Service messages go at any hour (R-CMP-07); advertising keeps the legal sending hours,
        # so at night an advertising SMS is scheduled for the morning, with the reason.
        sending_hours_exemption_grant(client=client, granted_by=staff, note="Demo: order codes and notices")

        if not Tariff.objects.exists():
            Tariff.objects.create(name="Regular", valid_from=timezone.now().replace(year=2026, month=1, day=1,
                                                                                   hour=0, minute=0, second=0),
                                  sms_segment_price=Money(Decimal("0.85"), "UAH"))
        sender = SenderName.objects.filter(name__iexact="DemoShop").first()
        if sender is None:
            sender = SenderName.objects.create(client=client, name="DemoShop")
        if sender.status != SenderName.Status.APPROVED:
            sender_name_approve(sender_id=sender.pk, actor=staff)

        Route.objects.update_or_create(
            name="simulator",
            defaults={"host": "127.0.0.1", "port": options["smsc_port"], "system_id": "smsportal",
                      "password": "secret", "tps_limit": 0, "window_size": 50, "is_active": True},
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  client login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  staff login:  {STAFF_EMAIL} / {STAFF_PASSWORD}  (admin at /admin/)")
