"""My dossiers (hồ sơ của tôi): a signed-in applicant's drafts and dossiers, with their history,
documents and results, and the claim that brings a dossier started anonymously into the account."""

from __future__ import annotations

from flask import Flask

from app.accounts.sessions import current_account
from app.mine import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    # The header's "My dossiers" link (base.html) shows for a signed-in applicant only.
    app.add_template_global(current_account, "current_account")
