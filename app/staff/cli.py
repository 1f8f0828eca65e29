"""`flask --app wsgi staff add NAME` / `staff remove NAME` / `staff sign-out NAME`: staff accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.staff import services


@click.group("staff", cls=AppGroup)
def staff_cli() -> None:
    """Staff accounts (for the deliveries page)."""


@staff_cli.command("add")
@click.argument("username")
@click.password_option(help="Prompted for, twice; never given on the command line.")
def add(username: str, password: str) -> None:
    try:
        services.add(username, password)
    except services.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username} can now sign in at /staff/login")


@staff_cli.command("remove")
@click.argument("username")
def remove(username: str) -> None:
    if not services.remove(username):
        raise click.ClickException(f"no staff account named {username}")
    click.echo(f"{username} removed")


@staff_cli.command("sign-out")
@click.argument("username")
def sign_out(username: str) -> None:
    """End every session of an account, wherever it was opened."""
    ended = services.sign_out_everywhere(username)
    if ended is None:
        raise click.ClickException(f"no staff account named {username}")
    click.echo(f"{username}: {ended} session(s) ended")
