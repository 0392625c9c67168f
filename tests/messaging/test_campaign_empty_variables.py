"""The New campaign review step warns when a {variable} of the text is empty for some recipients
of the uploaded file or the contact group: how many rows, per variable, and the first of them
(R-MSG personalization), before the client confirms."""
import pytest
from django.urls import reverse

from messaging.services import contact_group_create, contacts_import
from messaging.services.prepare import variables_empty
from tests.messaging.test_web_campaigns import csv_file, review_url, step1

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_variables_empty_counts_blank_and_missing_values():
    rows = [{"phone": "0671", "name": "Olha", "city": "Kyiv"}, {"phone": "0672", "name": " ", "city": "Lviv"},
            {"phone": "0673", "name": "Ivan"}, "0674"]
    out = variables_empty("Hi {name} from {city}, {phone}", rows)
    assert out["rows"] == 3 and out["by_variable"] == {"city": 2, "name": 2}
    assert out["examples"] == [{"row": 2, "phone": "0672", "variables": ["name"]},
                               {"row": 3, "phone": "0673", "variables": ["city"]},
                               {"row": 4, "phone": "0674", "variables": ["city", "name"]}]
    assert variables_empty("No variables", rows)["rows"] == 0


def test_review_of_a_file_warns_about_rows_with_an_empty_variable(web):
    rows = [("0671234567", "Olha"), ("0501234567", ""), ("0931234567", "Ivan"), ("0661234567", "")]
    url = review_url(step1(web, source="file", file=csv_file(rows), text="Hi {name}, -20% today!"))
    response = web.get(url)
    html = response.content.decode()
    assert response.context["empty_vars"]["rows"] == 2
    assert 'id="empty-variables-notice"' in html and "2 rows leave a variable of the text empty" in html
    assert "Row 2:" in html and "Row 4:" in html


def test_review_of_a_group_warns_about_contacts_without_the_variable(web):
    group = contact_group_create(client=web.account, name="Customers")
    contacts_import(client=web.account, group_id=group.pk, rows=[{"phone": "0671234567", "name": "Olha", "city": "Kyiv"},
                                                                 {"phone": "0501234567", "name": "Ivan"}])
    url = review_url(step1(web, source="group", group=str(group.pk), text="Hi {name} from {city}!"))
    html = web.get(url).content.decode()
    assert "1 row leaves a variable of the text empty" in html and "+380501234567" in html


def test_review_without_empty_variables_shows_no_warning(web):
    url = review_url(step1(web, source="file", file=csv_file([("0671234567", "Olha")]), text="Hi {name}!"))
    response = web.get(url)
    assert response.context["empty_vars"]["rows"] == 0
    assert 'id="empty-variables-notice"' not in response.content.decode()
    assert reverse("campaign_new")
