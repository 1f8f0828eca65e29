"""Languages: Vietnamese by default, English on request; dates and money per locale."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import format_currency, format_datetime, get_locale

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
    """A date as it is written in Viet Nam, in both languages: 22/12/2026."""
    return value.strftime("%d/%m/%Y") if value else ""


def formal_day(value: date) -> str:
    """A date as formal Vietnamese text writes it (a declaration's date line)."""
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def moment(value: datetime | None) -> str:
    """A moment in the site's time zone: 22/12/2026 14:05."""
    return format_datetime(value, format="dd/MM/yyyy HH:mm") if value else ""


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(vnd=vnd, day=day, moment=moment)
    # Globals that need a feature (status_label, reasons) come from that feature's init_app.
    app.jinja_env.globals.update(LOCALES=LOCALES, current_locale=current_locale)
