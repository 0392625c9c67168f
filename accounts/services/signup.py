"""One person, one account (R-ACC-02): a sign-up whose phone or legal-entity code another account
already uses is refused, or, when staff allow it (AccountsSettings), accepted and flagged."""
from django.utils.translation import gettext
from smsportal.errors import ApplicationError

from ..models import AccountsSettings, Client, User
from .core import accounts_settings_get


class DuplicateAccount(ApplicationError):
    code = "duplicate_account"
    status = 409

    def __init__(self, detail: str, *, field: str):
        super().__init__(detail, extra={"field": field})
        self.field = field


def signup_duplicates(*, phone: str = "", tax_code: str = "") -> str:
    """'' when nothing is shared; the review flag text when the staff setting allows it; raises
    DuplicateAccount (naming the field) when it refuses."""
    reasons = []
    if phone and User.objects.filter(phone=phone, phone_verified=True).exists():
        reasons.append(("phone", f"phone {phone} is the primary phone of another account"))
    if tax_code and Client.objects.filter(tax_code=tax_code).exclude(status=Client.Status.TERMINATED).exists():
        reasons.append(("tax_code", f"code {tax_code} belongs to another account"))
    if not reasons:
        return ""
    if accounts_settings_get().duplicate_signups == AccountsSettings.Duplicates.REFUSE:
        field, _ = reasons[0]
        what = gettext("mobile phone") if field == "phone" else gettext("EDRPOU/RNOKPP code")
        raise DuplicateAccount(gettext("An account with this %(what)s already exists: one person or company has "
                                       "one account. Log in to it (forgot the password? reset it by phone), or ask "
                                       "its owner to invite you to the team.") % {
            "what": what}, field=field)
    return "Possible second account: " + "; ".join(r for _, r in reasons)


def client_flag_shared_phone(*, user: User) -> str:
    """After `user` verified a phone another company's login also has (possible when staff allow
    second accounts, or the phone was changed after sign-up), the company is flagged for staff.
    Returns the flag text ('' when nothing is shared)."""
    from .core import audit_record  # noqa: PLC0415

    if not user.client_id or not user.phone:
        return ""
    others = (User.objects.filter(phone=user.phone, phone_verified=True).exclude(client_id=user.client_id)
              .exclude(client__isnull=True).exclude(client__status=Client.Status.TERMINATED))
    if not others.exists():
        return ""
    flag = f"Possible second account: phone {user.phone} is the primary phone of another account"
    client = Client.objects.get(pk=user.client_id)
    if flag not in client.review_flag:
        Client.objects.filter(pk=client.pk).update(review_flag=(f"{client.review_flag}; {flag}" if client.review_flag
                                                               else flag)[:300])
        audit_record(code="accounts.client.flagged_duplicate", client=client, target=str(client.public_id),
                     details={"reason": flag})
    return flag


def client_offer_accept(*, client: Client, actor=None, version: str = "") -> Client:
    """The client's owner accepted the public offer (the terms at /offer/): its version and the
    time are kept on the client and in the audit log. A later acceptance of a new version
    replaces the current one; the log keeps every one."""
    from django.conf import settings  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from .core import audit_record  # noqa: PLC0415

    version = version or settings.SMSPORTAL_OFFER_VERSION
    with transaction.atomic():
        client.offer_version = version
        client.offer_accepted_at = timezone.now()
        client.save(update_fields=["offer_version", "offer_accepted_at", "updated_at"])
        audit_record(code="accounts.offer.accepted", actor=actor, client=client, target=version,
                     details={"version": version, "accepted_at": client.offer_accepted_at.isoformat()})
    return client
