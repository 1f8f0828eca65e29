"""Drive the kiosk through HTTP."""

from __future__ import annotations

from tests.conftest import csrf_token


def start(client, code: str = "1.009780") -> str:
    """Choose a procedure on the kiosk's entry: the address of the ID card scan page."""
    entry = client.get("/kiosk/")
    response = client.post(f"/kiosk/procedures/{code}/start", data={"csrf_token": csrf_token(entry)})
    assert response.status_code == 302
    return response.headers["Location"]


def public_id_of(url: str) -> str:
    return url.split("/dossiers/")[1].split("/")[0]
