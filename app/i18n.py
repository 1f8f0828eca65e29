"""Languages: Vietnamese by default, English on request; dates and money per locale."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import format_currency, format_date, format_datetime, get_locale

from app.extensions import babel

LOCALES = ("vi", "en")


def select_locale() -> str:
    """The language chosen on the site; for the API, the client's Accept-Language."""
    wanted = session.get("locale")
    if wanted in LOCALES:
        return wanted
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(LOCALES)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "vi"


def vnd(amount: int) -> str:
    return format_currency(amount, "VND")


def day(value: date | None) -> str:
    return format_date(value, format="medium") if value else ""


def moment(value: datetime | None) -> str:
    return format_datetime(value, format="medium") if value else ""


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(vnd=vnd, day=day, moment=moment)
    # Globals that need a feature (status labels, signing reasons) are set by its init_app.
    app.jinja_env.globals.update(LOCALES=LOCALES, current_locale=current_locale)
