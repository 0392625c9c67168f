"""`manage.py seed_demo`: the demo data `make run` needs. Safe to run again: each step first looks
whether its part is there, and every write goes through the owning app's services."""
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.selectors import user_get
from accounts.services import (client_contract_request, client_contract_sign, client_create, client_flags_set,
                               client_legal_update, user_create)
from billing.exceptions import NoExchangeRate, NoTariff
from billing.services import base_rate_set, rate_for, tariff_current, wallet_topup
from compliance.services import sending_hours_exemption_cap_set, sending_hours_exemption_grant
from messaging.models import Route, ViberTemplate
from senders.selectors import sender_names_for_client
from senders.services import sender_name_approve, sender_name_request, viber_sender_fee

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-pass-2026"
STAFF_EMAIL = "admin@example.com"
STAFF_PASSWORD = "admin-pass-2026"
DEMO_SENDER = "DemoShop"
# Plausible details of a Ukrainian company (the EDRPOU code has a valid check digit), enough for a contract.
DEMO_LEGAL = {"legal_form": "legal_entity", "legal_name": "Demo Shop LLC", "tax_code": "43210989",
              "signatory_name": "Demo Client", "signatory_position": "Director",
              "postal_address": "1 Khreshchatyk St, Kyiv, 01001, Ukraine", "documents_email": DEMO_EMAIL}
DEMO_CONTRACT = "DEMO-2026-1"
# The demo login's verified phone: the contact phone a Viber text without one gets (opt-out).
DEMO_PHONE = "+380501234567"
DEMO_EUR_RATE = Decimal("45.00")
DEMO_VIBER_TEMPLATE = "Your order {number} is ready for pickup. Questions: +380441234567"


class Command(BaseCommand):
    help = ("Creates the demo staff user, the demo client (500 UAH, sender DemoShop, a signed contract) and a "
            "simulator route.")

    def add_arguments(self, parser):
        parser.add_argument("--smsc-port", type=int, default=2775)

    @transaction.atomic
    def handle(self, *args, **options):
        staff = user_get(email=STAFF_EMAIL) or user_create(email=STAFF_EMAIL, password=STAFF_PASSWORD, staff=True)
        user = user_get(email=DEMO_EMAIL) or user_create(email=DEMO_EMAIL, password=DEMO_PASSWORD,
                                                         first_name="Demo", last_name="Client")
        client = user.client or client_create(name="Demo Shop LLC", owner=user)
        wallet_topup(client=client, amount=Decimal("500"), key="demo:initial", actor=staff,
                     description="Demo balance")
        # A signed contract (R-ACC-10), so what needs one (advertising, Viber) can be tried.
        if not client.contract_signed:
            client = client_legal_update(client=client, data=DEMO_LEGAL, actor=staff)
            if client.contract_status != client.Contract.REQUESTED:
                client = client_contract_request(client=client, actor=user)
            client = client_contract_sign(client=client, actor=staff, number=DEMO_CONTRACT)
        # Service messages go at any hour (R-CMP-07); advertising keeps the legal sending hours,
        # so at night an advertising SMS is scheduled for the morning, with the reason.
        sending_hours_exemption_grant(client=client, granted_by=staff, note="Demo: order codes and notices")
        # Its service messages (codes, notices) are spared the 10-a-day cap too, so the tour and
        # the API examples can be repeated to one number; advertising keeps the cap.
        sending_hours_exemption_cap_set(client=client, exempt=True, actor=staff)

        try:
            tariff_current()
        except NoTariff:  # migration billing.0005 adds the starting price list; staff may have removed it
            self.stderr.write(self.style.WARNING("No price list is in force: add one in the admin before sending."))

        sender = next((s for s in sender_names_for_client(client=client, channel="sms")
                       if s.name.lower() == DEMO_SENDER.lower() and s.status != s.Status.REJECTED), None)
        if sender is None:
            sender = sender_name_request(client=client, name=DEMO_SENDER, actor=user)
        if sender.status != sender.Status.APPROVED:
            sender_name_approve(sender_id=sender.pk, actor=staff)

        # Viber (R-VIB-01, R-SND-07, R-VIB-05): switched on, the sender DemoShop approved for Viber,
        # one approved transactional template.
        if not client.viber_enabled:
            client = client_flags_set(client=client, actor=staff, viber_enabled=True)
        viber = next((s for s in sender_names_for_client(client=client, channel="viber")
                      if s.name.lower() == DEMO_SENDER.lower() and s.status != s.Status.REJECTED), None)
        if viber is None:
            # The registration fee is paid from a top-up of its own: the demo balance stays as it was.
            wallet_topup(client=client, amount=viber_sender_fee(), key="demo:viber-fee", actor=staff,
                         description="Demo: Viber sender registration")
            viber = sender_name_request(client=client, name=DEMO_SENDER, actor=user, channel="viber")
        if viber.status != viber.Status.APPROVED:
            sender_name_approve(sender_id=viber.pk, actor=staff)
        ViberTemplate.objects.get_or_create(client=client, text=DEMO_VIBER_TEMPLATE,
                                            defaults={"name": "Order ready", "state": ViberTemplate.State.APPROVED})
        try:  # Viber prices are in EUR, charged at the day's rate (R-BILL-08): a base rate to start from
            rate_for()
        except NoExchangeRate:
            base_rate_set(reason="Demo: starting EUR/UAH rate", actor=staff, rate=DEMO_EUR_RATE)
        if not user.phone:
            user.phone, user.phone_verified = DEMO_PHONE, True
            user.save(update_fields=["phone", "phone_verified"])

        Route.objects.update_or_create(
            name="simulator",
            defaults={"host": "127.0.0.1", "port": options["smsc_port"], "system_id": "smsportal",
                      "password": "secret", "tps_limit": 0, "window_size": 50, "is_active": True},
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  client login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  staff login:  {STAFF_EMAIL} / {STAFF_PASSWORD}  (admin at /admin/)")
