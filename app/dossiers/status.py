"""Dossier states: the national portal's TrangThaiHoSo codes 1–10, plus the front end's own."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Status(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # front end only: declaration signed, not yet submitted
    # front end only: submitted with its code, waiting for the fees paid before sending (app.payments)
    AWAITING_PAYMENT = "awaiting_payment"
    NEW = "new"  # 1 mới đăng ký
    ACCEPTED = "accepted"  # 2 được tiếp nhận
    REFUSED = "refused"  # 3 không được tiếp nhận
    PROCESSING = "processing"  # 4 đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 5 yêu cầu bổ sung
    PAYMENT_REQUESTED = "payment_requested"  # 6 yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # 7 công dân yêu cầu rút hồ sơ
    STOPPED = "stopped"  # 8 dừng xử lý
    FINISHED = "finished"  # 9 đã xử lý xong
    RESULT_RETURNED = "result_returned"  # 10 đã trả kết quả

    @property
    def national_code(self) -> int | None:
        return NATIONAL_CODES.get(self)

    @classmethod
    def from_national_code(cls, code: int) -> Status:
        for status, number in NATIONAL_CODES.items():
            if number == code:
                return status
        raise ValueError(f"no national status {code}")

    @property
    def label(self) -> str:
        return str(LABELS[self])


NATIONAL_CODES = {
    Status.NEW: 1,
    Status.ACCEPTED: 2,
    Status.REFUSED: 3,
    Status.PROCESSING: 4,
    Status.SUPPLEMENT_REQUESTED: 5,
    Status.PAYMENT_REQUESTED: 6,
    Status.WITHDRAWN: 7,
    Status.STOPPED: 8,
    Status.FINISHED: 9,
    Status.RESULT_RETURNED: 10,
}

LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.SIGNED: _l("Signed, not yet submitted"),
    Status.AWAITING_PAYMENT: _l("Waiting for the fees to be paid"),
    Status.NEW: _l("Submitted"),
    Status.ACCEPTED: _l("Accepted"),
    Status.REFUSED: _l("Not accepted"),
    Status.PROCESSING: _l("Being processed"),
    Status.SUPPLEMENT_REQUESTED: _l("Supplements requested"),
    Status.PAYMENT_REQUESTED: _l("Payment requested"),
    Status.WITHDRAWN: _l("Withdrawn at the applicant's request"),
    Status.STOPPED: _l("Processing stopped"),
    Status.FINISHED: _l("Processed"),
    Status.RESULT_RETURNED: _l("Result returned"),
}

# Which state may follow which (docs/status-transitions.md is this table, with who sends each).
# Signing (next step of the journey) slots in between DRAFT and NEW. At reception (NEW) the agency
# accepts, refuses with its reason, or asks for supplements first; a supplement asked at
# reception is followed by the acceptance (5 → 2). Fees are asked after acceptance (2 → 6, 4 → 6).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SIGNED, Status.NEW, Status.AWAITING_PAYMENT}),
    Status.SIGNED: frozenset({Status.DRAFT, Status.NEW, Status.AWAITING_PAYMENT}),
    # Fees paid before sending: the dossier goes out when they are paid, or back to a draft when
    # the applicant changes it (a payment still on its way is then refunded, app.payments).
    Status.AWAITING_PAYMENT: frozenset({Status.NEW, Status.DRAFT}),
    Status.NEW: frozenset({Status.ACCEPTED, Status.REFUSED, Status.SUPPLEMENT_REQUESTED, Status.WITHDRAWN}),
    Status.ACCEPTED: frozenset(
        {
            Status.PROCESSING,
            Status.SUPPLEMENT_REQUESTED,
            Status.PAYMENT_REQUESTED,
            Status.WITHDRAWN,
            Status.STOPPED,
        }
    ),
    Status.PROCESSING: frozenset(
        {
            Status.SUPPLEMENT_REQUESTED,
            Status.PAYMENT_REQUESTED,
            Status.FINISHED,
            Status.WITHDRAWN,
            Status.STOPPED,
        }
    ),
    Status.SUPPLEMENT_REQUESTED: frozenset(
        {Status.ACCEPTED, Status.PROCESSING, Status.WITHDRAWN, Status.STOPPED}
    ),
    Status.PAYMENT_REQUESTED: frozenset({Status.PROCESSING, Status.WITHDRAWN, Status.STOPPED}),
    Status.FINISHED: frozenset({Status.RESULT_RETURNED}),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.STOPPED: frozenset(),
    Status.RESULT_RETURNED: frozenset(),
}

# States in which the agency may move the promised date (NgayHenTra) by an extension: an event
# with the dossier's current status again, a new `promised_on` and the agency's apology.
EXTENDABLE = frozenset(
    {Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED}
)
# States from which the applicant may ask to withdraw from the tracking page (status 7).
WITHDRAWABLE = frozenset(s for s, following in TRANSITIONS.items() if Status.WITHDRAWN in following) - {
    Status.DRAFT,
    Status.SIGNED,
    Status.AWAITING_PAYMENT,
}


class TransitionRefused(Exception):
    def __init__(self, current: Status, wanted: Status) -> None:
        super().__init__(f"a dossier cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


def check_transition(current: Status, wanted: Status) -> None:
    if wanted not in TRANSITIONS[current]:
        raise TransitionRefused(current, wanted)


class Stage(StrEnum):
    """How an applicant's list of dossiers groups the states (app.mine)."""

    DRAFTS = "drafts"  # not yet sent: draft, signed, awaiting payment
    SUBMITTED = "submitted"  # sent, the agency has not yet answered (1)
    IN_PROGRESS = "in_progress"  # accepted and on its way (2, 4, 5, 6)
    FINISHED = "finished"  # nothing more will happen (3, 7, 8, 9, 10)

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])

    @property
    def statuses(self) -> frozenset[Status]:
        return frozenset(s for s, stage in STAGES.items() if stage == self)

    @classmethod
    def of(cls, status: Status) -> Stage:
        return STAGES[status]


STAGES: dict[Status, Stage] = {
    Status.DRAFT: Stage.DRAFTS,
    Status.SIGNED: Stage.DRAFTS,
    Status.AWAITING_PAYMENT: Stage.DRAFTS,
    Status.NEW: Stage.SUBMITTED,
    Status.ACCEPTED: Stage.IN_PROGRESS,
    Status.PROCESSING: Stage.IN_PROGRESS,
    Status.SUPPLEMENT_REQUESTED: Stage.IN_PROGRESS,
    Status.PAYMENT_REQUESTED: Stage.IN_PROGRESS,
    Status.REFUSED: Stage.FINISHED,
    Status.WITHDRAWN: Stage.FINISHED,
    Status.STOPPED: Stage.FINISHED,
    Status.FINISHED: Stage.FINISHED,
    Status.RESULT_RETURNED: Stage.FINISHED,
}

STAGE_LABELS = {
    Stage.DRAFTS: _l("Drafts"),
    Stage.SUBMITTED: _l("Submitted"),
    Stage.IN_PROGRESS: _l("In progress"),
    Stage.FINISHED: _l("Finished"),
}
