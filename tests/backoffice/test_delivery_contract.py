"""The delivery contract as the IETF Idempotency-Key draft means it, between the portal and the
reference back office, both real: a repeated key gets the original answer; 409 means the key's
first request is still in progress (try again later, not a failure); 422 means the same key with
a different package (fail, for an operator); Retry-After on 409, 429 and 503 is honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select, update

from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.backoffice.fixtures import DEFINITION
from tests.conftest import TEST_CATALOG
from tests.delivery.test_faults import IMPATIENT, SLOW, deliveries, portal, post_package, time_passes
from tests.factories import submitted


def adapter_portal(make_app, reference, adapter: str, **options):
    """The portal delivering to the reference back office with `adapter` (http or dvcqg)."""
    if adapter == "http":
        return portal(make_app, reference, **options)
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT=adapter,
        BACKOFFICE_OPTIONS={adapter: reference.national_options(**options)},
        DELIVERY_BACKOFF_SECONDS=60,
    )


def delivery(app) -> OutboxMessage:
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        db.session.expunge(message)
        return message


@pytest.mark.parametrize("adapter", ["http", "dvcqg"])
def test_a_key_still_in_progress_is_tried_again_and_then_gets_the_original_answer(
    make_app, citizen_key, reference, adapter
):
    # The first request stays in progress at the back office until the key is asked again.
    reference.start(fault="in-progress", slow_seconds=SLOW)
    impatient = adapter_portal(make_app, reference, adapter, timeout_seconds=IMPATIENT)
    code = submitted(impatient, DEFINITION, citizen_key)
    with impatient.app_context():
        assert deliver_due().retrying == [code]  # the portal stopped waiting; it is still at work
    app = adapter_portal(make_app, reference, adapter)  # the same database; it waits from now on
    time_passes(app)
    with app.app_context():
        assert deliver_due().retrying == [code]  # 409: not a failure
    state, ref, error = deliveries(app)[code]
    assert (state, ref) == ("pending", None)
    assert error.startswith("in progress at the back office (409)")
    assert reference.next_stored() == code  # the first request has finished meanwhile

    time_passes(app)
    with app.app_context():
        assert deliver_due().delivered == [code]
    assert deliveries(app)[code][:2] == ("delivered", "BO-000001")  # the original answer
    assert [(d["code"], d["receipt_number"]) for d in reference.dossiers()] == [(code, 1)]
    assert delivery(app).attempts == 3
    if adapter == "dvcqg":  # the record it holds is the national one, as its schema has it
        [taken] = reference.national_records()
        assert (taken["key"], taken["service"]) == (code, "DongBoHoSoMC")
        assert taken["body"]["data"][0]["MaHoSo"] == code


def test_the_same_key_with_another_package_fails_at_once_for_an_operator(make_app, citizen_key, reference):
    reference.start()
    app = portal(make_app, reference)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        dossier = db.session.scalars(select(Dossier)).one()
        first = build(dossier).zip_bytes()
        # The back office holds this package under the code (sent by an earlier installation) ...
        assert post_package(reference, first, code).json()["reference"] == "BO-000001"
        assert post_package(reference, first, code).json()["reference"] == "BO-000001"  # repeated
        assert post_package(reference, first, "").status_code == 400  # no key at all
        # ... and the portal's package for it now says something else (another due date).
        db.session.execute(update(Dossier).values(due_on=dossier.due_on + timedelta(days=7)))
        db.session.commit()
        assert deliver_due().failed == [code]
    state, ref, error = deliveries(app)[code]
    assert (state, ref) == ("failed", None)
    assert error == f"refused (422): {code} was received before with a different package"
    assert [(d["code"], d["deliveries"]) for d in reference.dossiers()] == [(code, 2)]  # kept as it was


def in_ten_minutes() -> datetime:
    return (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)


@pytest.mark.parametrize("adapter", ["http", "dvcqg"])
@pytest.mark.parametrize(
    ("fault", "retry_after", "waits"),
    [
        ("unavailable", "120", timedelta(seconds=120)),  # 503, delta-seconds
        ("throttled", "600", timedelta(seconds=600)),  # 429
        ("unavailable", "in-ten-minutes", None),  # an HTTP-date: waits until then
        ("unavailable", "86400", timedelta(seconds=900)),  # a day: bounded by the maximum
    ],
)
def test_retry_after_is_honoured_within_a_maximum(
    make_app, citizen_key, reference, adapter, fault, retry_after, waits
):
    until = in_ten_minutes()
    header = format_datetime(until, usegmt=True) if retry_after == "in-ten-minutes" else retry_after
    reference.start(fault=fault, retry_after=header)
    options = reference.options() if adapter == "http" else reference.national_options()
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT=adapter,
        BACKOFFICE_OPTIONS={adapter: options},
        DELIVERY_BACKOFF_SECONDS=1,  # our own backoff alone would come back within a second
        DELIVERY_RETRY_AFTER_MAX_SECONDS=900,
    )
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        assert deliver_due().retrying == [code], deliveries(app)
    message = delivery(app)
    assert message.last_error.startswith(f"answered {503 if fault == 'unavailable' else 429}")
    if waits is None:
        assert abs(message.next_attempt_at - until) < timedelta(seconds=2)
    else:
        assert message.next_attempt_at - message.last_attempt_at == waits
    with app.app_context():
        assert deliver_due().retrying == []  # not asked again sooner
