"""One contract over every payment provider installed: what the portal relies on of each."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from app.payments.providers import Answer, Forged, Outcome, PaymentProvider, load_providers
from tests.payments.test_keypay import provider as keypay
from tests.payments.test_vnpay import provider as vnpay

PROVIDERS = sorted(load_providers().items())


def test_the_shipped_providers_are_installed():
    assert {"demo", "failing", "keypay", "vnpay"} <= dict(PROVIDERS).keys()


@pytest.mark.parametrize(("name", "cls"), PROVIDERS, ids=[name for name, _ in PROVIDERS])
def test_every_provider_keeps_the_contract(name: str, cls: type[PaymentProvider]):
    assert cls.name == name
    assert cls.title.vi
    assert cls.title.en, "the applicant chooses it in either language"
    assert cls.Options.model_config.get("extra") == "forbid", "a misspelt setting must stop start-up"


@pytest.mark.parametrize("name", ["keypay", "vnpay"])
def test_a_real_gateway_answers_every_outcome_and_refuses_what_it_cannot_check(name: str):
    provider = keypay() if name == "keypay" else vnpay()
    answers = {outcome: provider.acknowledge(outcome=outcome) for outcome in get_args(Outcome)}
    for outcome, answer in answers.items():
        assert isinstance(answer, Answer), outcome
        assert answer.media_type == "application/json"
        json.loads(answer.body)
    assert answers["settled"].body != answers["forged"].body
    with pytest.raises(Forged):
        provider.returned(params={})
    with pytest.raises(Forged):
        provider.notified(params={}, body=b"")
