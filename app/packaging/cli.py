"""`flask --app wsgi package verify PATH`: check a dossier package as a back office would."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.packaging.verify import verify
from app.signing import get_signing


@click.group("package", cls=AppGroup)
def package_cli() -> None:
    """Dossier package commands."""


@package_cli.command("verify")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def verify_command(paths: tuple[Path, ...]) -> None:
    """Check every hash, the manifest's seal and the declaration's signature of each package.
    Trust comes from OPENDVC_SIGNING_TRUST_ROOTS (the demo root when unset)."""
    signing = get_signing()
    bad = 0
    for path in paths:
        report = verify(
            path, trust_roots=signing.trust_roots, context=signing.context(), not_signers=signing.not_signers
        )
        if report.ok:
            signed = f"signed by {report.signed_by}" if report.signed_by else "no signed declaration"
            click.echo(
                f"{path}: OK, dossier {report.code}, {report.files} file(s), {signed}, "
                f"sealed by {report.sealed_by}"
            )
        else:
            bad += 1
            for problem in report.problems:
                click.echo(f"{path}: {problem}", err=True)
    if bad:
        raise SystemExit(f"{bad} of {len(paths)} package(s) failed verification")
