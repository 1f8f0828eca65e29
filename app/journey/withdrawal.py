"""The applicant asks to withdraw a submitted dossier (trạng thái 7, công dân yêu cầu rút hồ sơ).
One transaction (commits): the dossier becomes WITHDRAWN with the reason in its history, and the
request is queued in the outbox for the back office that has the dossier (kind "withdrawal",
key `<code>-RUT`), delivered after the dossier's earlier messages."""

from __future__ import annotations

from app import clock
from app.dossiers import records
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged
from app.dossiers.status import WITHDRAWABLE, Status
from app.notifications import notify
from app.outbox.queue import enqueue_withdrawal
from app.payments import services as payments

__all__ = ["DossierChanged", "NotWithdrawable", "may_withdraw", "withdraw"]


class NotWithdrawable(Exception):
    """The dossier's state does not allow a withdrawal (drafts, decided or closed dossiers)."""


def may_withdraw(dossier: Dossier) -> bool:
    return dossier.code is not None and Status(dossier.status) in WITHDRAWABLE


def withdraw(dossier: Dossier, reason: str | None) -> None:
    if not may_withdraw(dossier):
        raise NotWithdrawable()
    note = (reason or "").strip() or None
    records.record(dossier, Status.WITHDRAWN, actor="applicant", note=note, at=clock.now())
    records.flush()  # an event the back office posted meanwhile shows here
    enqueue_withdrawal(dossier)
    payments.cancel_due(dossier)
    notify(dossier, dossier.events[-1])  # a confirmation to the applicant
    records.commit()
