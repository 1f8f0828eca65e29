"""Extensions, created unbound and bound in create_app()."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored in UTC. SQLite keeps no offset: what it gives back is UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
# The base of our models. db.Model is made at run time, which a type checker cannot follow; to it,
# a model is what db.Model derives from: a declarative class on Base's metadata.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Guessing limits on the forms that open a dossier or an account, per client address. Counts
# live where OPENDVC_RATE_LIMIT_STORAGE says: memory (one process) by default; with several
# processes or machines, a shared store such as redis://.
limiter = Limiter(get_remote_address, headers_enabled=True)


def _setting(name: str) -> Any:
    """A limit read from the settings at each request (each app has its own)."""
    return lambda: getattr(current_app.config["OPENDVC"], name)


# Slowing down floods per client address, each shared by every view of its kind (decorate the
# POST views only): files uploaded, signing attempts, dossiers submitted. See RATE_LIMIT_*.
upload_rate = limiter.shared_limit(_setting("RATE_LIMIT_UPLOADS"), scope="uploads", methods=["POST"])
signing_rate = limiter.shared_limit(_setting("RATE_LIMIT_SIGNING"), scope="signing", methods=["POST"])
submission_rate = limiter.shared_limit(
    _setting("RATE_LIMIT_SUBMISSIONS"), scope="submissions", methods=["POST"]
)
# Claims of a dossier into an account (app.mine): each names a secret, so each is a guess.
claim_rate = limiter.shared_limit(_setting("RATE_LIMIT_CLAIMS"), scope="claims", methods=["POST"])


def _without_nul(value: object) -> object:
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of the portal's small forms: a NUL, which nobody types and PostgreSQL refuses in
    text, is taken out of every answer before the validators see it."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            options["filters"] = (_without_nul, *options.get("filters", ()))
            return super().bind_field(form, unbound_field, options)
