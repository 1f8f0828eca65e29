"""An answer kept from before another answer hid its question is not sent on, nor asks for a
document: the same evaluation as the step pages, on the stored answers."""

from __future__ import annotations

from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR
from app.forms.answers import shown_answers
from app.forms.components import slots

WATER = load_folder(PACKAGE_DIR / "catalog" / "procedures")["1.004228"].definition

STALE = {
    "work_status": "new",
    "had_licence": "yes",  # answered while the works were "existing"
    "previous_licence": "15/GP-BTNMT",
    "exploration_licence": "3/GP-TD",
    "requested_flow": 5000,
    "subsidence_measures": "…",  # asked only above 20 000 m³ a day
    "wells": [
        {
            "well_code": "QT-02",
            "well_kind": "monitoring",
            "depth": "80",
            "well_flow": 300,
            "pump_depth": "10",
            "flow_meter": "yes",
            "screens": [{"screen_from": "1", "screen_to": "2"}],
        },
    ],
}


def test_hidden_answers_are_taken_out_in_entries_too(app):
    with app.test_request_context():
        shown = shown_answers(WATER, STALE)
    assert shown["had_licence"] is None
    assert shown["previous_licence"] is None
    assert shown["exploration_licence"] == "3/GP-TD"
    assert shown["subsidence_measures"] is None
    assert shown["wells"] == [
        {
            "well_code": "QT-02",
            "well_kind": "monitoring",
            "depth": "80",
            "well_flow": None,
            "pump_depth": None,
            "flow_meter": None,
            "screens": [{"screen_from": "1", "screen_to": "2"}],
        },
    ]


def test_documents_follow_the_answers_shown(app):
    with app.test_request_context():
        required = {(s.code, s.entry) for s in slots(WATER, STALE) if s.required}
    assert ("TP8", None) not in required  # the licence held before: only for existing works
    assert ("TP2", None) in required
    assert ("TP5", 0) in required
    assert ("TP6", 0) not in required
