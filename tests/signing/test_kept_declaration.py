"""The declaration is rendered once per content (app.documents.declaration.rendered): a change to
the answers after signing still shows at submission, and what is kept is what would be rendered."""

from __future__ import annotations

from app.documents import declaration
from app.documents.declaration import render, rendered
from app.dossiers.models import Dossier
from app.dossiers.records import procedure_of
from app.extensions import db
from tests.conftest import csrf_token
from tests.journey import sign_with_pkcs12

NAME = "Nguyễn Thị Thu Hà"  # the applicant's name in the test dossier, shown in the declaration


def submit(client, base: str) -> str:
    review = client.get(f"{base}/review")
    return client.post(f"{base}/review", data={"csrf_token": csrf_token(review)}).headers["Location"]


def set_name(app, name: str) -> None:
    """Change the applicant's name behind the portal's back: the day of the last change stays."""
    with app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        key = next(k for k, v in dossier.answers.items() if v in (NAME, "Trần Văn Bình"))
        dossier.answers = {**dossier.answers, key: name}
        db.session.commit()


def test_an_answer_changed_after_signing_blocks_submission(test_app, test_client, ready, citizen_key):
    assert sign_with_pkcs12(test_client, ready, *citizen_key).status_code == 302
    set_name(test_app, "Trần Văn Bình")
    assert submit(test_client, ready).endswith("/sign")
    set_name(test_app, NAME)  # as it was signed: the same declaration, word for word
    assert not submit(test_client, ready).endswith("/sign")


def test_the_declaration_kept_is_the_one_rendered_now(test_app, ready):
    with test_app.test_request_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        procedure = procedure_of(dossier)
        first = rendered(dossier, procedure)
        assert rendered(dossier, procedure) is first  # kept
        assert first.pdf == render(dossier, procedure).pdf
        dossier.answers = {k: ("Trần Văn Bình" if v == NAME else v) for k, v in dossier.answers.items()}
        changed = rendered(dossier, procedure)
        assert changed.pdf != first.pdf
        assert changed.pdf == render(dossier, procedure).pdf
        db.session.rollback()


def test_submission_on_another_process_checks_the_signature_without_rendering(
    test_client, ready, citizen_key
):
    """The signature keeps the content key it was made on: a worker that never rendered this
    declaration (nothing kept) accepts the submission without rendering it."""
    assert sign_with_pkcs12(test_client, ready, *citizen_key).status_code == 302
    review = test_client.get(f"{ready}/review")
    declaration._kept.clear()
    answer = test_client.post(f"{ready}/review", data={"csrf_token": csrf_token(review)})
    assert answer.status_code == 302
    assert not answer.headers["Location"].endswith("/sign")
    assert not declaration._kept  # nothing was rendered to check the signature
