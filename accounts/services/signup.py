"""One person, one account (R-ACC-02): a sign-up whose phone or legal-entity code another account
already uses is refused, or, when staff allow it (AccountsSettings), accepted and flagged."""
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
        what = "mobile phone" if field == "phone" else "EDRPOU/RNOKPP code"
        raise DuplicateAccount(f"An account with this {what} already exists: one person or company has one account. "
                               "Log in to it (forgot the password? reset it by phone), or ask its owner to invite "
                               "you to the team.", field=field)
    return "Possible second account: " + "; ".join(r for _, r in reasons)
