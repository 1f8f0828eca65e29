"""Rows for tests, made the way the portal makes them: through its services, never by hand, so
that no row is ever in a state the services cannot reach.

Each factory runs inside the caller's request context (``with app.test_request_context():``:
the answers pass through the real WTForms step forms) and returns what the services return. A
browser is given a dossier the way a person is, through its resume link:
``client.get(resume_url(made))``.

    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
    client.get(resume_url(made))
"""

from __future__ import annotations

from typing import Any

import factory
from flask import Flask
from werkzeug.datastructures import MultiDict

from app.attachments import services as attachments
from app.catalog import get_catalog
from app.catalog.loader import LoadedProcedure
from app.catalog.schema import Component, Procedure
from app.dossiers import records
from app.dossiers import services as dossiers
from app.dossiers.models import Attachment, Dossier
from app.dossiers.services import Started
from app.events import services as events
from app.forms.builder import step_form_class
from app.forms.components import slots
from app.journey import submission
from app.outbox import queue as outbox
from app.outbox.models import OutboxMessage
from app.signing import services as signing
from app.signing.keys import from_pkcs12
from app.signing.models import DossierSignature
from app.storage import get_blobs
from tests.files import sample_for
from tests.journey import step_pairs

PROCEDURE = "T.000001"  # the test catalog's procedure with one field of every type


# Every call to a service, in one place: when the services move or merge (one submission service
# in app/journey/submission.py), only these functions change.


def _start(procedure: LoadedProcedure, locale: str) -> Started:
    return dossiers.start(procedure, locale=locale)


def _save_answers(dossier: Dossier, answers: dict[str, Any]) -> None:
    dossiers.save_answers(dossier, answers)


def _store(
    dossier: Dossier, component: Component, filename: str, content: bytes, entry: int | None = None
) -> Attachment:
    writer = get_blobs().writer(len(content))
    writer.write(content)
    return attachments.store(dossier, component, writer, filename, entry=entry)


def _sign(dossier: Dossier, key: tuple[bytes, str]) -> None:
    verdict = signing.sign_with(signing.DossierDeclaration(dossier), from_pkcs12(*key), method="pkcs12")
    assert verdict.ok, verdict.report()


def _submit(dossier: Dossier) -> None:
    submission.submit(dossier)


def _accept(dossier: Dossier, promised_on: str | None) -> None:
    """The back office the dossier went to accepts it (status event 2): the receipt is sealed."""
    backoffice = outbox.sent_to(dossier)
    assert backoffice is not None
    assert dossier.code is not None
    body = {"event_id": f"accept-{dossier.code}", "dossier_code": dossier.code, "sequence": 1, "status": 2}
    if promised_on is not None:
        body["promised_on"] = promised_on
    answer = events.apply(backoffice, body)
    assert answer.status == 200, answer.title


# What the services need that a person would type or pick.


def step_answers(loaded: LoadedProcedure, overrides: dict[str, list[str]] | None = None) -> list:
    """Each step's answers as its form keeps them, from valid input for every field (or, for a
    field named in `overrides`, the input given there): [(step, answers)]."""
    overrides = overrides or {}
    answers: dict[str, Any] = {}
    found = []
    for step in loaded.definition.form.steps:
        data: MultiDict = MultiDict()
        for spec in step.fields:
            for value in overrides.get(spec.name, []):
                data.add(spec.name, value)
        for name, value in step_pairs(step, leave_out=overrides):
            data.add(name, value)
        form = step_form_class(loaded, step.id)(formdata=data, meta={"csrf": False})
        assert form.validate_step(answers), form.errors
        given = form.step_answers(answers)
        answers |= given
        found.append((step, given))
    return found


def resume_url(made: Started) -> str:
    """The resume link the applicant was given: following it gives a browser the dossier."""
    return f"/resume/{made.secret}"


class DraftFactory(factory.Factory):
    """A draft, started; with `answered`, every step answered validly; with `attached`, every
    required document attached (a sample file of an accepted type)."""

    class Meta:
        model = Started

    procedure = PROCEDURE
    locale = "en"
    answered = True
    attached = True
    overrides: dict[str, list[str]] | None = None

    @classmethod
    def _create(cls, model_class: type, **kwargs: Any) -> Started:
        return cls._make(**kwargs)

    @classmethod
    def _make(
        cls,
        *,
        procedure: str,
        locale: str,
        answered: bool,
        attached: bool,
        overrides: dict | None,
        **rest: Any,
    ) -> Started:
        loaded = get_catalog().get(procedure)
        assert loaded is not None, procedure
        made = _start(loaded, locale)
        if answered:
            for _step, answers in step_answers(loaded, overrides):
                _save_answers(made.dossier, answers)
        if attached:  # what these answers require: one per entry for a document per entry
            for slot in slots(loaded.definition, made.dossier.answers):
                if slot.required:
                    name, content = sample_for(slot.component.accepted_types)
                    _store(made.dossier, slot.component, name, content, slot.entry)
        return made


class SignedFactory(DraftFactory):
    """A complete draft whose declaration `key` (a PKCS#12 file and its passphrase) signed."""

    key: tuple[bytes, str] | None = None

    @classmethod
    def _make(cls, *, key: tuple[bytes, str] | None, **kwargs: Any) -> Started:
        assert key is not None, "a signed dossier needs key=(pkcs12, passphrase)"
        made = super()._make(**kwargs)
        _sign(made.dossier, key)
        return made


class SubmittedFactory(SignedFactory):
    """A signed dossier, submitted: its code, expected date and queued delivery."""

    @classmethod
    def _make(cls, **kwargs: Any) -> Started:
        made = super()._make(**kwargs)
        _submit(made.dossier)
        return made


class AcceptedFactory(SubmittedFactory):
    """A submitted dossier its back office accepted (first status event, 2): its promised date
    (`promised_on`, "YYYY-MM-DD", else the calendar's) and its sealed receipt."""

    promised_on: str | None = None

    @classmethod
    def _make(cls, *, promised_on: str | None = None, **kwargs: Any) -> Started:
        made = super()._make(**kwargs)
        _accept(made.dossier, promised_on)
        return made


class AttachmentFactory(factory.Factory):
    """One more file for a draft's component, kept by the upload service (checks and all)."""

    class Meta:
        model = Attachment

    dossier: Dossier | None = None
    component = "DOC"
    filename = "a.pdf"
    content = factory.LazyFunction(lambda: sample_for(["pdf"])[1])

    @classmethod
    def _create(
        cls, model_class: type, *, dossier: Dossier, component: str, filename: str, content: bytes
    ) -> Attachment:
        found = next(c for c in records.procedure_of(dossier).definition.components if c.code == component)
        return _store(dossier, found, filename, content)


class SignatureFactory(factory.Factory):
    """A signature of a complete draft's declaration, made with `key`: the signature row."""

    class Meta:
        model = DossierSignature

    dossier: Dossier | None = None
    key: tuple[bytes, str] | None = None

    @classmethod
    def _create(cls, model_class: type, *, dossier: Dossier, key: tuple[bytes, str]) -> DossierSignature:
        _sign(dossier, key)
        found = signing.current_signature(dossier)
        assert found is not None
        return found


class OutboxMessageFactory(factory.Factory):
    """The delivery a submission queues (the outbox row), with its submitted dossier."""

    class Meta:
        model = OutboxMessage

    key: tuple[bytes, str] | None = None
    procedure = PROCEDURE

    @classmethod
    def _create(cls, model_class: type, *, key: tuple[bytes, str], procedure: str) -> OutboxMessage:
        made = SubmittedFactory(key=key, procedure=procedure)
        found = outbox.delivery_of(made.dossier)
        assert found is not None
        return found


def submitted(app: Flask, definition: Procedure, key: tuple[bytes, str]) -> str:
    """A dossier of `definition` submitted in `app`, signed with `key`: its code."""
    with app.test_request_context():
        return SubmittedFactory(procedure=definition.code, key=key).dossier.code
