"""Drive the real app through HTTP as an applicant would: valid answers for any definition."""

from __future__ import annotations

import io
from collections.abc import Container
from datetime import date, timedelta
from decimal import Decimal

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.catalog.schema import FormField, Procedure, Step
from app.fields.geometry import UNITS
from tests.conftest import csrf_token, page
from tests.files import sample_for

SAMPLE_TEXT = "Nguyễn Thị Thu Hà"


def valid_text(spec: FormField) -> str:
    if spec.example:
        return spec.example
    least = spec.validation.min_length or 0
    most = spec.validation.max_length or 500
    text = SAMPLE_TEXT if least <= len(SAMPLE_TEXT) <= most else "x" * max(least, 1)
    return text[:most]


def valid_number(spec: FormField, decimal: bool) -> str:
    """A number in range, whole when one fits: "1.500" and "12,5" mean different things in
    Vietnamese and English, a whole number without separators reads the same in both."""
    low = spec.validation.min if spec.validation.min is not None else 1
    high = spec.validation.max if spec.validation.max is not None else low + 100
    value = Decimal(str(low)) + (Decimal(str(high)) - Decimal(str(low))) / 2
    if not decimal or Decimal(str(low)) <= int(value) <= Decimal(str(high)):
        return str(int(value))
    return str(value.quantize(Decimal(1).scaleb(-(spec.validation.places or 2))))


def valid_pairs(spec: FormField, key: str) -> list[tuple[str, str]]:
    v = spec.validation
    match spec.type:
        case "text" | "textarea":
            return [(key, valid_text(spec))]
        case "integer":
            return [(key, valid_number(spec, decimal=False))]
        case "decimal":
            return [(key, valid_number(spec, decimal=True))]
        case "date":
            day = date.today() + timedelta(days=30) if v.not_past else date.today() - timedelta(days=400)
            return [(key, day.isoformat())]
        case "select" | "radio":
            return [(key, spec.options[0].value)]
        case "checkboxes":
            return [(key, o.value) for o in spec.options[: max(v.min_choices or 1, 1)]]
        case "email":
            return [(key, "thuha.nguyen@example.vn")]
        case "phone":
            return [(key, "0912 345 678")]
        case "personal_id":
            return [(key, "001099012345")]
        case "tax_code":
            return [(key, "0100109106")]
        case "address":
            return [
                (f"{key}-street", "12 Lê Thánh Tông"),
                (f"{key}-ward", "Phường Hoàn Kiếm"),
                (f"{key}-province", "Hà Nội"),
            ]
        case "point":  # the type's sample is in whole units: it reads the same in both languages
            return [(key, " ".join(spec.kind.sample(spec)["coordinates"]))]
        case "polygon":
            return [(key, "\n".join(" ".join(v) for v in spec.kind.sample(spec)["vertices"]))]
        case "group":
            rows = max(spec.min_entries, 1)
            return [
                p
                for i in range(rows)
                for sub in spec.fields
                for p in valid_pairs(sub, f"{key}-{i}-{sub.name}")
            ]
    raise AssertionError(spec.type)


def step_pairs(step: Step, leave_out: Container[str] = ()) -> list[tuple[str, str]]:
    """Valid answers for a step's fields (but those left out); a polygon's declared area is its
    sample's, in whole units."""
    pairs = [p for spec in step.fields if spec.name not in leave_out for p in valid_pairs(spec, spec.name)]
    for spec in step.fields:
        declared = spec.validation.area_field if spec.type == "polygon" else None
        if declared:
            area = Decimal(spec.kind.sample(spec)["area_m2"]) / UNITS[spec.validation.area_unit]
            pairs = [(k, str(round(area)) if k == declared else v) for k, v in pairs]
    return pairs


def start(client, code: str):
    procedure_page = client.get(f"/procedures/{code}")
    assert procedure_page.status_code == 200
    response = client.post(f"/procedures/{code}/start", data={"csrf_token": csrf_token(procedure_page)})
    assert response.status_code == 302
    return response.headers["Location"]


def fill_steps(client, definition: Procedure, first_url: str) -> str:
    url = first_url
    for step in definition.form.steps:
        form_page = client.get(url)
        assert form_page.status_code == 200, url
        data = [("csrf_token", csrf_token(form_page)), ("action", "continue"), *step_pairs(step)]
        response = client.post(url, data=MultiDict(data))
        assert response.status_code == 302, page(response).select(".error-summary")
        url = response.headers["Location"]
    return url


def upload(client, documents_url: str, component_code: str, name: str, content: bytes):
    documents = client.get(documents_url)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict({"csrf_token": csrf_token(documents), "file": FileStorage(io.BytesIO(content), name)})
    )
    return client.post(
        f"{documents_url}/{component_code}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def required_on(documents_page) -> set[str]:
    """The components the documents page requires for the answers given (the chosen case's; the
    authorisation when filed by an authorised person; those required when)."""
    return {
        section["data-component"]
        for section in page(documents_page).select("section.component[data-component][data-required=true]")
    }


def required_uploads(definition: Procedure, documents_page) -> list[tuple[str, str]]:
    """(upload address, component code) of each document the documents page asks for, as the
    dossier's answers require them (one per entry for a document per entry)."""
    found = []
    for section in page(documents_page).select("section.component[data-component]"):
        if section.select_one("h2 .optional") is None and not section.select(".files li"):
            found.append((section.select_one("form[enctype]")["action"], section["data-component"]))
    return found


def attach_required(client, definition: Procedure, documents_url: str) -> None:
    components = {c.code: c for c in definition.components}
    for action, code in required_uploads(definition, client.get(documents_url)):
        name, content = sample_for(components[code].accepted_types)
        documents = client.get(documents_url)
        boundary, body = encode_multipart(
            MultiDict({"csrf_token": csrf_token(documents), "file": FileStorage(io.BytesIO(content), name)})
        )
        response = client.post(action, data=body, content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == 302, page(response).select(".error")


def sign_with_pkcs12(client, base_url: str, pkcs12: bytes, passphrase: str):
    """Sign the declaration with a key file, as on the signing page."""
    sign_page = client.get(f"{base_url}/sign")
    boundary, body = encode_multipart(
        MultiDict(
            {
                "csrf_token": csrf_token(sign_page),
                "passphrase": passphrase,
                "key_file": FileStorage(io.BytesIO(pkcs12), "chu-ky.p12"),
            }
        )
    )
    return client.post(
        f"{base_url}/sign/pkcs12", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def submit(client, review_url: str):
    review = client.get(review_url)
    assert review.status_code == 200
    assert not page(review).select(".error-summary"), page(review).select(".error-summary")
    return client.post(review_url, data={"csrf_token": csrf_token(review)})


def apply(client, definition: Procedure, signature: tuple[bytes, str]):
    """Start, fill every step, attach every required document, sign with `signature` (a PKCS#12
    file and its passphrase), submit: the acknowledgement of submission's response."""
    documents_url = fill_steps(client, definition, start(client, definition.code))
    assert documents_url.endswith("/documents")
    attach_required(client, definition, documents_url)
    base = documents_url.removesuffix("/documents")
    signed = sign_with_pkcs12(client, base, *signature)
    assert signed.status_code == 302, page(signed).select(".error-summary")
    response = submit(client, base + "/review")
    assert response.status_code == 302
    return client.get(response.headers["Location"])


def draft_over_http(server_url: str, definition: Procedure) -> tuple:
    """A real browser (requests) with a complete, unsigned draft: (session, dossier URL)."""
    import requests

    browser = requests.Session()
    browser.get(f"{server_url}/language/en")
    procedure = browser.get(f"{server_url}/procedures/{definition.code}")
    url = browser.post(
        f"{server_url}/procedures/{definition.code}/start", data={"csrf_token": csrf_token(procedure)}
    ).url
    for step in definition.form.steps:
        form = browser.get(url)
        data = MultiDict([("csrf_token", csrf_token(form)), ("action", "continue")])
        for name, value in step_pairs(step):
            data.add(name, value)
        url = browser.post(url, data=list(data.items(multi=True))).url
    documents = browser.get(url)
    components = {c.code: c for c in definition.components}
    for action, code in required_uploads(definition, documents):
        name, content = sample_for(components[code].accepted_types)
        browser.post(
            f"{server_url}{action}",
            data={"csrf_token": csrf_token(documents)},
            files={"file": (name, content)},
        )
    return browser, url.removesuffix("/documents")


def sign_over_http(browser, dossier_url: str, signature: tuple[bytes, str]) -> None:
    """Sign the draft at `dossier_url` with a PKCS#12 key file, as a browser would."""
    sign_page = browser.get(f"{dossier_url}/sign")
    signed = browser.post(
        f"{dossier_url}/sign/pkcs12",
        data={"csrf_token": csrf_token(sign_page), "passphrase": signature[1]},
        files={"key_file": ("key.p12", signature[0])},
    )
    assert page(signed).select_one(".signed") is not None, signed.text[-500:]


def submitted(app, definition: Procedure, signature: tuple[bytes, str]) -> str:
    """Apply through the web with a fresh client; the dossier code on the acknowledgement."""
    from bs4 import BeautifulSoup

    client = app.test_client()
    client.get("/language/en")
    receipt = apply(client, definition, signature)
    return BeautifulSoup(receipt.data, "html.parser").select_one(".dossier-code").get_text(strip=True)
