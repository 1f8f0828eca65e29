"""Document types (loại giấy tờ): kinds of document that several procedures ask for, or that one
procedure issues and others ask for later, named once so that a document kept in an applicant's
store (app.store) can be offered wherever the same kind is asked.

A component's code (TP1, TP2…) means something only inside its procedure; a type means the same
thing in every procedure. A definition gives a component the `type` of the document it is and,
optionally, the other types it `accepts` in its place; a result gives the `type` it issues. A
code unknown here is refused when the catalog loads, so a typo cannot silently stop a match.
"""

from __future__ import annotations

from app.texts import Text

DOCUMENT_TYPES: dict[str, Text] = {
    "business_registration": Text(
        vi="Giấy chứng nhận đăng ký doanh nghiệp hoặc quyết định thành lập",
        en="Business registration certificate or establishment decision",
    ),
    "feasibility_study": Text(
        vi="Báo cáo nghiên cứu khả thi của dự án",
        en="Feasibility study of the project",
    ),
    "eia_approval": Text(
        vi="Quyết định phê duyệt kết quả thẩm định báo cáo đánh giá tác động môi trường",
        en="Decision approving the EIA report",
    ),
    "environmental_licence": Text(vi="Giấy phép môi trường", en="Environmental licence"),
    "mineral_exploration_licence": Text(vi="Giấy phép thăm dò khoáng sản", en="Mineral exploration licence"),
    "groundwater_licence": Text(
        vi="Giấy phép khai thác, sử dụng nước dưới đất", en="Groundwater exploitation and use licence"
    ),
    "surveying_licence": Text(vi="Giấy phép hoạt động đo đạc và bản đồ", en="Surveying and mapping licence"),
    "genetic_access_registration": Text(
        vi="Văn bản xác nhận đăng ký tiếp cận nguồn gen",
        en="Confirmation of registration for access to genetic resources",
    ),
}


def known_type(code: str) -> str:
    """`code` if it names a document type; a ValueError listing the known ones otherwise."""
    if code not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {code!r}; known: {sorted(DOCUMENT_TYPES)}")
    return code
