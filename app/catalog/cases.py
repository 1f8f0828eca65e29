"""Trường hợp: one procedure, several cases (cấp mới / cấp lại; khu vực đấu giá hay không…),
each with its own documents and processing time. The applicant picks the case by answering the
definition's `case_field` (a radio or select whose options are the cases' codes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.texts import Text

if TYPE_CHECKING:
    from app.catalog.schema import Component, Procedure

Unit = Literal["working_days", "calendar_days"]


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]  # an option of the case field
    name: Text
    description: Text | None = None
    # Thời hạn giải quyết of this case; the procedure's own when left out.
    processing_days: Annotated[int, Field(ge=1, le=365)] | None = None
    processing_unit: Unit | None = None
    # The documents of this case only (component codes); a component no case names is asked in every case.
    components: list[str] = []


def chosen_case(definition: Procedure, answers: dict[str, Any]) -> Case | None:
    """The case the answers pick; None for a procedure without cases, or before it is answered."""
    if not definition.cases or definition.case_field is None:
        return None
    value = answers.get(definition.case_field)
    return next((case for case in definition.cases if case.code == value), None)


def case_components(definition: Procedure, case: Case | None) -> list[Component]:
    """The documents asked in `case`: those of no case, and the case's own (all of them for a
    procedure without cases)."""
    own = {code for c in definition.cases for code in c.components}
    wanted = set(case.components) if case is not None else set()
    return [c for c in definition.components if c.code not in own or c.code in wanted]


def processing_time(definition: Procedure, answers: dict[str, Any]) -> tuple[int, Unit]:
    """Thời hạn giải quyết for these answers: the chosen case's, else the procedure's."""
    case = chosen_case(definition, answers)
    days = case.processing_days if case is not None and case.processing_days else definition.processing_days
    unit = case.processing_unit if case is not None and case.processing_unit else definition.processing_unit
    return days, unit
