"""An anonymous applicant's contact for notifications: the email and phone left on the dossier.

At submission they come from the form's answers (app/journey/submission.py); afterwards the
applicant may give or correct them on the acknowledgement or the dossier's page. One
transaction (commits). While the dossier still waits for the agency, the acknowledgement of
submission is queued for a channel that had no address before (never twice for one channel)."""

from __future__ import annotations

from app.dossiers import records
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged
from app.dossiers.status import Status
from app.notifications.services import notify

__all__ = ["DossierChanged", "NotAnonymous", "leave_contact", "may_leave_contact"]


class NotAnonymous(Exception):
    """An account's dossier is notified on the channels of the account's profile."""


def may_leave_contact(dossier: Dossier) -> bool:
    return dossier.account_id is None and dossier.code is not None


def leave_contact(dossier: Dossier, *, email: str | None, phone: str | None) -> None:
    if not may_leave_contact(dossier):
        raise NotAnonymous()
    dossier.applicant_email = email or None
    dossier.applicant_phone = phone or None
    records.flush()  # a change made meanwhile (an event) shows here
    if dossier.status == Status.NEW:
        submitted = next(e for e in reversed(dossier.events) if e.to_status == Status.NEW)
        notify(dossier, submitted)
    records.commit()
