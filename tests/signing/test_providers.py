"""The signer provider contract, over every provider registered as an entry point: one
keyword-only `open(credentials=…)` that gives a Signer for one signature or refuses with a
message, options validated at start-up, and the failing demo provider offered only when asked."""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points

import pytest
from pydantic import BaseModel
from pyhanko.sign import signers

from app import ConfigError
from app.signing import GROUP, get_signing
from app.signing.providers import Credentials, Provider, SigningRefused
from tests.conftest import PIN, csrf_token, page
from tests.pki import PASSPHRASE
from tests.signing.kinds import ToSign, app_config, prepare, refusal

REGISTERED = sorted(ep.name for ep in entry_points(group=GROUP))


WRONG = Credentials(secret="0000", key_file=b"not a key file")


def credentials(name: str, pki) -> tuple[Credentials | None, Credentials | None]:
    """For each built-in provider in the test set-up: what unlocks its key, and what does not
    (None: nothing does; nothing is asked of the applicant for the portal's own seal)."""
    return {
        "pkcs12": (Credentials(secret=PASSPHRASE, key_file=pki.pkcs12("citizen")), WRONG),
        "pkcs11": (Credentials(secret=PIN), WRONG),
        "seal": (Credentials(), None),
        "failing": (None, Credentials(secret=PIN)),
    }[name]


def test_the_built_in_providers_are_registered():
    assert {"pkcs12", "pkcs11", "seal", "failing"} <= set(REGISTERED)


@pytest.mark.parametrize("name", REGISTERED)
def test_every_provider_keeps_the_contract(name, make_app, pki, softhsm):
    app = make_app(**app_config(**softhsm))
    with app.app_context():
        provider = get_signing().provider(name)
    cls = type(provider)
    assert isinstance(provider, Provider)
    assert cls.name == name
    assert issubclass(cls.Options, BaseModel)
    assert isinstance(provider.options, cls.Options)
    assert cls.asks in ("key_file", "pin")
    assert not inspect.isabstract(cls)
    parameters = list(inspect.signature(cls.open).parameters.values())[1:]
    assert [(p.name, p.kind) for p in parameters] == [("credentials", inspect.Parameter.KEYWORD_ONLY)]
    assert cls.open.__doc__ or Provider.open.__doc__
    if cls.applicant:
        assert str(cls.title)

    good, wrong = credentials(name, pki)
    with app.test_request_context():
        if wrong is not None:  # a refusal with a message, never another exception
            with pytest.raises(SigningRefused) as refused, provider.open(credentials=wrong):
                pass
            assert str(refused.value.message)
            assert 400 <= refused.value.status < 600
        if good is not None:
            with provider.open(credentials=good) as signer:
                assert isinstance(signer, signers.Signer)
                assert signer.signing_cert is not None


@pytest.mark.parametrize("name", REGISTERED)
def test_credentials_are_never_shown(name):
    shown = repr(Credentials(secret="246810", key_file=b"secret key bytes"))
    assert "246810" not in shown
    assert "secret key bytes" not in shown


def test_the_failing_provider_is_not_offered_unless_configured(to_sign: ToSign):
    offered = page(to_sign.client.get(to_sign.page_url))
    assert offered.select_one("#method-failing") is None
    token = csrf_token(to_sign.client.get(to_sign.page_url))
    response = to_sign.client.post(f"{to_sign.base}/sign/failing", data={"csrf_token": token, "pin": "1"})
    assert response.status_code == 404


def test_the_failing_provider_refuses_and_nothing_is_signed(kind, make_app, citizen_key):
    """Offered when configured, on both pages; its refusal is shown like any other."""
    ready = prepare(kind, make_app(**app_config()), citizen_key)
    to_sign = ready.reopened(
        make_app(
            **app_config(
                SIGNING_PROVIDERS=["failing", "upload"], SIGNING_OPTIONS={"failing": {"status": 502}}
            )
        )
    )
    offered = page(to_sign.client.get(to_sign.page_url))
    section = offered.select_one("#method-failing")
    assert section.select_one("h2").get_text(strip=True) == "With the demonstration signer that always fails"
    assert section.select_one("input[name=pin]") is not None
    response = to_sign.client.post(
        f"{to_sign.base}/sign/failing",
        data={"csrf_token": csrf_token(to_sign.client.get(to_sign.page_url)), "pin": "1"},
    )
    assert response.status_code == 502
    assert refusal(response) == "The demonstration signer never signs"
    assert page(response).select_one(".error-summary a.refusal")["href"] == "#method-failing"
    assert to_sign.signed_by() is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"SIGNING_OPTIONS": {"failing": {"status": 200}}}, "OPENDVC_SIGNING_OPTIONS[failing]: status:"),
        ({"SIGNING_OPTIONS": {"failing": {"colour": "red"}}}, "OPENDVC_SIGNING_OPTIONS[failing]: colour:"),
        ({"SIGNING_OPTIONS": {"nfc": {}}}, "OPENDVC_SIGNING_OPTIONS: unknown provider(s) ['nfc']"),
        (
            {"SIGNING_OPTIONS": {"pkcs11": {"module": "/nowhere.so"}}},
            "OPENDVC_SIGNING_OPTIONS[pkcs11].module: /nowhere.so is not a file",
        ),
        ({"PKCS11_MODULE": "/nowhere.so"}, "OPENDVC_PKCS11_MODULE: /nowhere.so is not a file"),
        (
            {"SIGNING_PROVIDERS": ["seal"]},
            "OPENDVC_SIGNING_PROVIDERS: ['seal'] cannot be offered to applicants",
        ),
    ],
)
def test_wrong_provider_options_stop_start_up_naming_the_key(make_app, config, message):
    with pytest.raises(ConfigError) as stopped:
        make_app(**app_config(**config))
    assert message in str(stopped.value)


def test_provider_options_come_from_the_environment(make_app, softhsm, monkeypatch):
    import json

    options = {"pkcs11": {k.removeprefix("PKCS11_").lower(): str(v) for k, v in softhsm.items()}}
    monkeypatch.setenv("OPENDVC_SIGNING_OPTIONS", json.dumps(options))
    app = make_app(**app_config())
    with app.app_context():
        assert str(get_signing().provider("pkcs11").options.module) == str(softhsm["PKCS11_MODULE"])


def test_the_supplements_old_addresses_lead_to_the_same_views(make_app, citizen_key):
    to_sign = prepare("supplement", make_app(**app_config()), citizen_key)
    for old, new in (("/sign", "/sign/pkcs12"), ("/sign/card", "/sign/pkcs11"), ("/upload", "/sign/upload")):
        response = to_sign.client.post(f"{to_sign.base}{old}")
        assert response.status_code == 308  # the browser sends the same form again, to the new address
        assert response.headers["Location"].endswith(f"{to_sign.base}{new}")
