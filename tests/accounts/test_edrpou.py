"""R-ACC-10: the EDRPOU (8 digits) and RNOKPP (10 digits) check digits, and that every place a code
is entered checks it: sign-up, the legal details form, the staff admin, a sender name's company
(website and API)."""
import pytest
from django.urls import reverse

from accounts.admin import ClientAdminForm
from accounts.services import LegalDetailsInvalid, client_legal_update, edrpou_valid, rnokpp_valid, tax_code_problem
from accounts.services.legal import edrpou_check_digit, rnokpp_check_digit
from senders.models import SenderName
from tests.factories import SenderNameFactory

# Published codes of well-known Ukrainian companies.
KNOWN_EDRPOU = [
    "14360570",  # PrivatBank
    "00032129",  # Oschadbank
    "00032106",  # National Bank of Ukraine
    "21560045",  # Ukrposhta
    "20077720",  # Naftogaz
    "21673832",  # Kyivstar
    "40075815",  # Ukrzaliznytsia: 30000000–60000000, weights 7,1,2,3,4,5,6
]


@pytest.mark.parametrize("code", KNOWN_EDRPOU)
def test_r_acc_10_edrpou_known_codes_are_valid(code):
    assert edrpou_valid(code)


@pytest.mark.parametrize("code", KNOWN_EDRPOU)
def test_r_acc_10_edrpou_any_other_last_digit_is_invalid(code):
    for digit in "0123456789":
        if digit != code[7]:
            assert not edrpou_valid(code[:7] + digit)


@pytest.mark.parametrize("first7,check,why", [
    # weights 1..7: 1+4+9+16+25+36+49 = 140, 140 % 11 = 8
    ("1234567", 8, "first pass"),
    # weights 1..7 give 10 (1+4+3+12+40+6+21 = 87 → 10); +2 (3..9) give 125 % 11 = 4
    ("1213813", 4, "second pass"),
    # 30000000–60000000: weights 7,1..6 give 54 % 11 = 10; 9,3..8 give 80 % 11 = 3
    ("3043102", 3, "middle range, second pass"),
    # both passes give 10: the check digit is 0
    ("7857854", 0, "second pass gives 10 again"),
    ("3668703", 0, "middle range, second pass gives 10 again"),
])
def test_r_acc_10_edrpou_check_digit_official_algorithm(first7, check, why):
    assert edrpou_check_digit(first7) == check, why
    assert edrpou_valid(first7 + str(check))
    assert not edrpou_valid(first7 + str((check + 1) % 10))


@pytest.mark.parametrize("first9,check", [
    # -1·1 + 5·2 + 7·3 + 9·4 + 4·5 + 6·6 + 10·7 + 5·8 + 7·9 = 295; 295 % 11 = 9; 9 % 10 = 9
    ("123456789", 9),
    # 2·-1 + 2·5 + 4·7 + 4·9 + 9·4 + 0 + 7·10 + 0 + 1·7 = 185; 185 % 11 = 9
    ("224490701", 9),
    # -3 + 5 + 56 + 36 + 28 + 6 + 0 + 30 + 63 = 221; 221 % 11 = 1
    ("318471069", 1),
])
def test_r_acc_10_rnokpp_check_digit_official_algorithm(first9, check):
    assert rnokpp_check_digit(first9) == check
    assert rnokpp_valid(first9 + str(check))
    assert not rnokpp_valid(first9 + str((check + 1) % 10))


def test_r_acc_10_rnokpp_remainder_ten_gives_zero():
    # -1·0 + 5·2 + 0… = 10 → 10 % 11 = 10 → 10 % 10 = 0
    assert rnokpp_check_digit("020000000") == 0
    assert rnokpp_valid("0200000000")
    assert not rnokpp_valid("0200000001")


@pytest.mark.parametrize("code", ["", "1436057", "143605701", "14360570a", "１４３６０５７０", "12345678901"])
def test_r_acc_10_wrong_shapes_are_invalid(code):
    assert not edrpou_valid(code)
    assert not rnokpp_valid(code)
    assert tax_code_problem(code) is not None


def test_r_acc_10_problem_names_the_kind_of_code():
    assert "EDRPOU" in tax_code_problem("14360571")
    assert "RNOKPP" in tax_code_problem("1234567890")
    assert tax_code_problem("1234567899", "legal_entity") == "A legal entity's EDRPOU code has 8 digits."
    assert tax_code_problem("14360570", "entrepreneur") == "An entrepreneur's RNOKPP (tax number) has 10 digits."
    assert tax_code_problem("14360570", "legal_entity") is None
    assert tax_code_problem("1234567899", "entrepreneur") is None


@pytest.mark.django_db
def test_r_acc_10_signup_refuses_a_wrong_check_digit(client):
    r = client.post(reverse("account_signup"), {
        "company": "Kvitka LLC", "tax_code": "14360571", "email": "o@kvitka.example", "phone": "067 111 22 33",
        "password1": "a-long-Pass-2026", "password2": "a-long-Pass-2026", "accept_offer": "on"})
    assert r.status_code == 200
    assert "wrong check digit" in str(r.context["form"].errors["tax_code"])


@pytest.mark.django_db
def test_r_acc_10_legal_details_refuse_a_wrong_check_digit(client_account):
    with pytest.raises(LegalDetailsInvalid) as exc:
        client_legal_update(client=client_account, data={"legal_form": "entrepreneur", "tax_code": "1234567890"})
    assert exc.value.field == "tax_code"
    client_legal_update(client=client_account, data={"legal_form": "entrepreneur", "tax_code": "1234567899"})
    client_account.refresh_from_db()
    assert client_account.tax_code == "1234567899"


@pytest.mark.django_db
def test_r_acc_10_staff_admin_form_refuses_a_wrong_check_digit(client_account):
    form = ClientAdminForm(instance=client_account)
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"name": "Acme LLC", "legal_form": "legal_entity", "tax_code": "21673833"})
    form = ClientAdminForm(data=data, instance=client_account)
    assert not form.is_valid()
    assert "wrong check digit" in str(form.errors["tax_code"])


@pytest.mark.django_db
def test_r_acc_10_sender_company_code_is_checked_on_the_website(web):
    sender = SenderNameFactory(client=web.account, name="Kvitka", approved=True)
    url = reverse("sender_detail", args=[sender.public_id])
    r = web.post(url, {"company_name": "Kvitka LLC", "company_code": "14360571", "website": "kvitka.ua",
                       "purpose": "Orders", "sample_text": "Order 1 is ready"})
    assert r.status_code == 400
    assert "wrong check digit" in str(r.context["form"].errors["company_code"])
    sender.refresh_from_db()
    assert sender.company_code == ""
    web.post(url, {"company_name": "Kvitka LLC", "company_code": "1436 0570", "website": "kvitka.ua",
                   "purpose": "Orders", "sample_text": "Order 1 is ready"})
    sender.refresh_from_db()
    assert sender.company_code == "14360570"


@pytest.mark.django_db
def test_r_acc_10_sender_company_code_is_checked_in_the_api(api):
    r = api.post("/api/v1/senders/", {"name": "Kvitka", "company_code": "00032128"}, format="json")
    assert r.status_code == 400
    assert r.json()["code"] == "sender_name_invalid"
    assert "check digit" in r.json()["detail"]
    assert not SenderName.objects.filter(name="Kvitka").exists()
    r = api.post("/api/v1/senders/", {"name": "Kvitka", "company_code": "00032129"}, format="json")
    assert r.status_code == 201, r.content
