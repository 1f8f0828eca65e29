"""The rest of a procedure's published record (Cơ sở dữ liệu quốc gia về TTHC) that the
procedure page shows: trình tự thực hiện, how and by whom it may be filed, and the result's
validity. (The deciding agency, where it differs from the receiving one, is an `Agency`.)"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from app.texts import Text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProcessStep(_Strict):
    """One step of trình tự thực hiện: who does what, in order."""

    title: Text
    description: Text | None = None


class Filing(_Strict):
    """Cách thức thực hiện and who may file: the applicant, an authorised person, a post office…"""

    by: list[Text] = []  # who may file the dossier
    how: list[Text] = []  # where and how, beyond the channels (địa chỉ tiếp nhận, giờ, bưu chính công ích)


class CoApplicants(_Strict):
    """Liên danh: several applicants, one entry each in a repeatable group of the form; the
    mapping names the group and, inside it, the name and identifier fields."""

    group: str
    name: str
    identifier: str | None = None
    address: str | None = None
