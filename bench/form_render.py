"""Median time to render a form step, against a bare Flask route in the same app and run.

    python -m bench.form_render

Both are requested through the WSGI test client, so the difference is the step itself:
session check, dossier lookup, form class (cached per procedure version), template.

Each figure is given twice: the median wall time, and the median CPU time of this process,
which a machine shared with other work disturbs much less. The bare route is requested in turn
with each step (one request of each, repeated), so that both meet the same load; it is slower so
(the step leaves the caches cold), so the ratio to the bare route requested alone is shown too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask_migrate import upgrade

from app import create_app
from app.catalog.loader import load_folder
from bench.common import SHIPPED, median_seconds, medians_in_turn

REPEAT = 300
CODE = "1.010734"  # environmental licence: the largest shipped form


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "BLOB_DIR": Path(tmp) / "blobs",
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
            }
        )

        @app.get("/bare")
        def bare() -> str:
            return "ok"

        with app.app_context():
            upgrade()
        client = app.test_client()
        started = client.post(f"/procedures/{CODE}/start")
        base = started.headers["Location"].split("?")[0].rsplit("/", 1)[0]
        steps = [s.id for s in load_folder(SHIPPED)[CODE].definition.form.steps]
        assert client.get("/bare").status_code == 200
        alone = median_seconds(lambda: client.get("/bare"), REPEAT, warmup=20)
        print(f"median of {REPEAT} requests each, procedure {CODE}, each step in turn with a bare route")
        print(f"  bare route alone: {alone * 1e3:6.3f} ms wall")
        print(f"  {'':<24} {'wall':>9}{'':>7}{'(bare)':>9}{'':<12}{'CPU':>9}{'':>7}{'(bare)':>9}")
        for step in steps:
            url = f"{base}/{step}"
            assert client.get(url).status_code == 200
            (w, c), (bw, bc) = medians_in_turn(
                lambda url=url: client.get(url), lambda: client.get("/bare"), REPEAT, warmup=20
            )
            shown = f"{w * 1e3:6.3f} ms ({bw * 1e3:6.3f} ms) = {w / bw:5.1f} x bare"
            shown += f"   {c * 1e3:6.3f} ms ({bc * 1e3:6.3f} ms) = {c / bc:5.1f} x bare"
            shown += f"   wall = {w / alone:5.1f} x bare alone"
            print(f"  {'step ' + step:<24} {shown}")


if __name__ == "__main__":
    main()
