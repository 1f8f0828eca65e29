"""The compiled catalog cache: a second start reuses it, a changed file is checked again, a
damaged entry is rebuilt, several processes may fill it at once."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from app.catalog import get_catalog
from app.catalog.cache import CompiledCache, Entry, listing_of
from app.catalog.loader import parse_definition
from tests.catalog.making import definition, write
from tests.catalog.test_catalog import codes_on
from tests.conftest import page


def names_on(response) -> list[str]:
    return [a.get_text(strip=True) for a in page(response).select("li.procedure h2 a")]


def catalog_folder(tmp_path: Path, count: int = 3) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    for i in range(count):
        written = write(folder, f"p{i}", f"T.1000{i:02d}", f"Thủ tục số {i}")
        # Written an hour ago: a file modified within the last seconds is always read again, as
        # it may change again within the same mtime tick.
        stat = written.stat()
        os.utime(written, ns=(stat.st_atime_ns, stat.st_mtime_ns - 3600 * 10**9))
    return folder


def test_a_second_start_takes_the_definitions_from_the_cache(make_app, tmp_path):
    folder = catalog_folder(tmp_path)
    cache = tmp_path / "cache"
    first = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache)
    with first.app_context():
        assert get_catalog().last_compiled.checked == 3
    second = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache, instance_path=str(tmp_path / "other"))
    with second.app_context():
        assert get_catalog().last_compiled.checked == 0
        assert get_catalog().last_compiled.hashed == 0  # not even read: size and mtime unchanged
    client = second.test_client()
    assert names_on(client.get("/")) == ["Thủ tục số 0", "Thủ tục số 1", "Thủ tục số 2"]
    assert client.get("/procedures/T.100001").status_code == 200


def test_a_file_with_a_cache_entry_is_not_checked_again(make_app, runner, tmp_path):
    """What proves it: an entry made for a file's bytes is served as it is, even one that does not
    match them. `flask catalog check` still checks every file."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    broken = folder / "broken.yaml"
    broken.write_text(definition("T.200000", "Hỏng").replace("level: partial", "level: sometimes"), "utf-8")
    cache_dir = tmp_path / "cache"
    stand_in, _ = parse_definition(definition("T.200000", "Từ bộ nhớ đệm").encode(), Path("x.yaml"))
    assert stand_in is not None
    version = hashlib.sha256(broken.read_bytes()).hexdigest()
    CompiledCache(cache_dir).put(
        version, Entry(listing_of(stand_in.definition, version), stand_in.definition, stand_in.text)
    )
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache_dir)
    assert names_on(app.test_client().get("/")) == ["Từ bộ nhớ đệm"]
    result = app.test_cli_runner().invoke(args=["catalog", "check"])
    assert result.exit_code != 0
    assert "broken.yaml: level: Input should be 'full' or 'partial'" in result.output


def test_a_changed_file_is_checked_again_at_the_next_start(make_app, tmp_path):
    folder = catalog_folder(tmp_path)
    cache = tmp_path / "cache"
    make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache)
    write(folder, "p1", "T.100001", "Thủ tục đã sửa")
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache)
    with app.app_context():
        assert get_catalog().last_compiled.checked == 1
        assert (
            get_catalog().get("T.100001").version
            == hashlib.sha256((folder / "p1.yaml").read_bytes()).hexdigest()
        )
    assert names_on(app.test_client().get("/")) == ["Thủ tục số 0", "Thủ tục đã sửa", "Thủ tục số 2"]


def test_a_new_schema_code_starts_a_fresh_cache(tmp_path):
    """The entries live under the fingerprint of the code that checked them."""
    cache = CompiledCache(tmp_path)
    assert cache.folder.parent == tmp_path
    assert len(cache.folder.name) == 24
    assert CompiledCache(tmp_path / "x").folder.name == cache.folder.name  # same code, same name


def test_damaged_or_foreign_cache_files_are_ignored_and_rebuilt(make_app, tmp_path):
    folder = catalog_folder(tmp_path)
    cache_dir = tmp_path / "cache"
    make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache_dir)
    cache = CompiledCache(cache_dir)
    entries = sorted(cache.folder.glob("*.entry"))
    snapshots = list(cache.folder.glob("*.snapshot"))
    assert len(entries) == 3
    assert len(snapshots) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # truncated
    entries[1].write_bytes(entries[2].read_bytes())  # another file's entry under this name
    snapshots[0].write_bytes(b"\x00" * 50)  # garbage
    (index,) = cache.folder.glob("*.fts")  # the compiled search index
    index.write_bytes(index.read_bytes()[:-4000])
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache_dir)
    with app.app_context():
        assert get_catalog().last_compiled.checked == 2  # the two bad entries, made again
    client = app.test_client()
    assert names_on(client.get("/")) == ["Thủ tục số 0", "Thủ tục số 1", "Thủ tục số 2"]
    assert names_on(client.get("/", query_string={"q": "so 1"})) == ["Thủ tục số 1"]
    for code in ("T.100000", "T.100001", "T.100002"):
        assert client.get(f"/procedures/{code}").status_code == 200
    assert all(cache.get(e.name.removesuffix(".entry")) is not None for e in entries)


def test_an_entry_damaged_after_start_up_is_rebuilt_from_its_file(make_app, tmp_path):
    folder = catalog_folder(tmp_path, 1)
    cache_dir = tmp_path / "cache"
    make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache_dir)
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache_dir)  # the listing from the snapshot
    (entry,) = CompiledCache(cache_dir).folder.glob("*.entry")
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF  # same length, one byte flipped: the CRC tells
    entry.write_bytes(bytes(data))
    client = app.test_client()
    client.get("/language/vi")
    assert page(client.get("/procedures/T.100000")).select_one("h1").get_text(strip=True) == "Thủ tục số 0"


WRITER = """
import sys
from pathlib import Path
from app.catalog import Catalog
from app.catalog.cache import CompiledCache
sys.stdin.readline()  # the start signal: every writer is ready, they compile at once
catalog = Catalog(Path(sys.argv[1]), CompiledCache(Path(sys.argv[2])))
print(len(catalog), catalog.last_compiled.checked)
"""


def test_several_processes_filling_the_cache_at_once(tmp_path, make_app):
    folder = catalog_folder(tmp_path, 12)
    cache_dir = tmp_path / "cache"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(cache_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outputs = [writer.communicate(timeout=300)[0].split() for writer in writers]
    assert all(w.returncode == 0 for w in writers)
    assert all(out[0] == "12" for out in outputs)
    cache = CompiledCache(cache_dir)
    assert not list(cache.folder.glob("*.tmp"))  # no temporary file left behind
    app = make_app(CATALOG_DIR=folder, CATALOG_CACHE_DIR=cache_dir)
    with app.app_context():
        assert get_catalog().last_compiled.checked == 0
    assert len(codes_on(app.test_client().get("/"))) == 12
