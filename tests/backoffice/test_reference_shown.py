"""The back office's own reference for a dossier (its receipt number) is shown to the applicant on
the tracking page and to staff, once the back office has given it."""

from __future__ import annotations

from app.delivery.worker import deliver_due
from tests.backoffice.fixtures import DEFINITION
from tests.conftest import TEST_CATALOG, page
from tests.journey import apply
from tests.staff.test_deliveries_page import PASSWORD, sign_in


def test_the_applicant_and_staff_see_the_back_office_reference(make_app, citizen_key, reference):
    reference.start()
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options()},
        WTF_CSRF_ENABLED=True,
    )
    applicant = app.test_client()
    applicant.get("/language/en")
    receipt = page(apply(applicant, DEFINITION, citizen_key))
    code = receipt.select_one(".dossier-code").get_text(strip=True)
    status_url = receipt.select_one('a[href$="/status"]')["href"]
    assert page(applicant.get(status_url)).select_one(".backoffice-reference") is None  # not yet given
    with app.app_context():
        assert deliver_due().delivered == [code]

    shown = page(applicant.get(status_url)).select_one(".backoffice-reference")
    assert shown.get_text(" ", strip=True) == "Receipt number at the agency: BO-000001"
    assert shown.strong.get_text(strip=True) == "BO-000001"
    applicant.get("/language/vi")
    shown = page(applicant.get(status_url)).select_one(".backoffice-reference")
    assert shown.get_text(" ", strip=True) == "Số tiếp nhận tại cơ quan: BO-000001"

    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    staff = app.test_client()
    staff.get("/language/en")
    sign_in(staff)
    listing = page(staff.get("/staff/deliveries"))
    row = listing.select_one("table.delivered tr.delivery-delivered")
    assert row.select_one(".code").get_text(strip=True) == code
    assert row.select_one(".reference").get_text(strip=True) == "BO-000001"
    assert row.select_one(".attempts").get_text(strip=True) == "1"
    assert row.select_one(".delivered-at").get_text(strip=True)  # a date and time
    assert "back office's reference" in listing.select_one("table.delivered caption").get_text()
