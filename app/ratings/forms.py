"""The rating form, the same at the kiosk and on the tracking page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs lack it
from wtforms.validators import AnyOf, InputRequired

from app.extensions import Form
from app.ratings.services import SCORES

LABELS = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Neither satisfied nor dissatisfied"),
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}


class RatingForm(Form):
    # A score outside 1–5 (a forged form) gets the same clear message as none at all, not
    # WTForms' untranslated "Not a valid choice".
    score = RadioField(
        _l("How satisfied are you with the service?"),
        [
            InputRequired(_l("Choose how satisfied you are")),
            AnyOf([str(s) for s in SCORES], message=_l("Choose how satisfied you are, from 1 to 5")),
        ],
        choices=[SelectChoice(str(s), LABELS[s]) for s in reversed(SCORES)],
        validate_choice=False,
    )
