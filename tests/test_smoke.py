from tests.conftest import page


def test_catalog_lists_procedures(client):
    response = client.get("/")
    assert response.status_code == 200
    assert page(response).select("li.procedure")


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"]["ok"] is True
