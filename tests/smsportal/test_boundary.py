"""Text and dates from outside are checked once, at the edge (smsportal.boundary): the JSON parser
refuses a NUL anywhere in an API body, the `text` URL converter a NUL in a URL part, and the date
fields every date outside the years 2000–2999, on the API and on the website alike."""
import pytest

from smsportal.boundary import FormDateField, FormDateTimeField
from smsportal.jsonsafe import NulCharacterError, json_loads


def test_json_loads_names_where_the_nul_is():
    with pytest.raises(NulCharacterError) as exc:
        json_loads('{"recipients": ["+380671234567", {"phone": "+380671234568", "name": "Iv\\u0000an"}]}')
    assert exc.value.path == ["recipients", 1, "name"]
    assert str(exc.value).startswith("recipients[1].name:")


@pytest.mark.parametrize("body,field", [
    ({"sender": "TestShop", "recipients": ["+380671234567"], "text": "hi", "name": {"deep": ["a\x00"]}}, "name"),
    ({"sender": "Test\x00Shop", "recipients": ["+380671234567"], "text": "hi"}, "sender"),
    ({"sender": "TestShop", "recipients": ["+380671234567"], "te\x00xt": "hi"}, "te\x00xt"),
])
def test_api_body_with_a_nul_anywhere_is_400_invalid_naming_the_field(api, body, field):
    r = api.post("/api/v1/campaigns/", body, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert list(r.json()["errors"]) == [field]


@pytest.mark.parametrize("path", ["/api/v1/campaigns/a%00b/", "/api/v1/contact-groups/1%00/contacts/",
                                  "/api/v1/messages/%00/"])
def test_api_url_part_with_a_nul_is_a_json_404(api, path):
    r = api.get(path)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


@pytest.mark.parametrize("field,value,ok", [
    (FormDateField(), "1999-12-31", False), (FormDateField(), "2000-01-01", True),
    (FormDateField(), "2999-12-31", True), (FormDateField(), "9999-12-31", False),
    (FormDateTimeField(), "0001-01-01 00:00", False), (FormDateTimeField(), "9999-12-31 23:59", False),
    (FormDateTimeField(), "2030-05-01 10:00", True),
])
def test_website_date_fields_take_the_years_2000_to_2999_only(field, value, ok, settings):
    from django.core.exceptions import ValidationError  # noqa: PLC0415

    if ok:
        assert field.clean(value) is not None
    else:
        with pytest.raises(ValidationError, match="year 2000 to 2999"):
            field.clean(value)


@pytest.mark.parametrize("url", ["/billing/statement/?date_from=0001-01-01&date_to=9999-12-31",
                                 "/billing/statement.csv?date_to=9999-12-31"])
def test_statement_filter_at_the_calendar_ends_is_a_form_error_not_500(web, url):
    r = web.get(url)
    assert r.status_code in (200, 302)


def test_statement_date_range_error_is_shown(web):
    r = web.get("/billing/statement/?date_to=9999-12-31")
    assert r.status_code == 200 and b"year 2000 to 2999" in r.content

