"""factory-boy factories. Money is set up through services (topup), never by writing a balance."""
from decimal import Decimal

import factory
from django.utils import timezone
from djmoney.money import Money

from accounts.models import User
from accounts.services import client_create
from billing.models import Tariff
from billing.services import wallet_topup
from compliance.services import sending_hours_exemption_grant
from messaging.models import Route
from senders.models import SenderName


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        from allauth.account.models import EmailAddress

        if create:
            self.save()
            EmailAddress.objects.get_or_create(user=self, email=self.email, defaults={"verified": True, "primary": True})


def make_client(*, name="Acme LLC", balance: Decimal | int = 0, email=None, round_the_clock: bool = True):
    """A client with an owner user and `balance` UAH topped up through the ledger. With
    `round_the_clock` (the default) staff approved its service messages for round-the-clock
    sending (R-CMP-07), so a test sends them `queued` at any hour; advertising keeps the window."""
    user = UserFactory(**({"email": email} if email else {}))
    client = client_create(name=name, owner=user)
    if round_the_clock:
        sending_hours_exemption_grant(client=client, note="tests")
    if balance:
        wallet_topup(client=client, amount=Decimal(balance), key=f"test-topup-{client.pk}")
    client.refresh_from_db()
    return client


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    name = "Regular"
    valid_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    sms_segment_price = Money(Decimal("0.85"), "UAH")
    announced_at = factory.LazyAttribute(lambda o: o.valid_from - timezone.timedelta(days=7))


class SenderNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SenderName

    name = factory.Sequence(lambda n: f"Shop{n}")
    status = SenderName.Status.PENDING
    channel = "sms"

    class Params:
        approved = factory.Trait(status=SenderName.Status.APPROVED)
        rejected = factory.Trait(status=SenderName.Status.REJECTED, rejection_reason="Not allowed")
        viber = factory.Trait(channel="viber")
        described = factory.Trait(company_name="Acme LLC", company_code="14360570", website="acme.example.ua",
                                  purpose="Order and delivery notices", sample_text="Your order 123 is ready.")


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route
        django_get_or_create = ("name",)

    name = "test-route"
    host = "127.0.0.1"
    port = 2775
    system_id = "smsportal"
    password = "secret"
    tps_limit = 0
    window_size = 20
