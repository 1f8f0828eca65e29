"""The contract every blob store keeps (app/storage/base.py BlobStore), run against the local
folder and against S3 on a real SeaweedFS: what is stored reads back, the same bytes are kept
once, a refused upload leaves nothing, a large upload goes through in bounded memory, and the
sweep's deletion keeps what is fresh or referenced."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc

import pytest

from app.storage import BlobStore

MB = 1024 * 1024


def tmp_files(store: BlobStore) -> list[str]:
    return sorted(p.name for p in store.tmp.iterdir())


def test_what_is_put_reads_back_whole_and_as_a_stream(store: BlobStore):
    data = os.urandom(300_000)
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.exists(digest)
    assert store.read(digest) == data
    with store.open(digest) as stream:
        assert stream.size == len(data)
        assert stream.read(1000) == data[:1000]
        assert stream.read() == data[1000:]
    assert [d for d, _ in store.digests()] == [digest]
    assert tmp_files(store) == []


def test_an_unknown_blob_is_not_found(store: BlobStore):
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(missing)
    with pytest.raises(FileNotFoundError):
        store.open(missing)
    with pytest.raises(ValueError, match="not a sha256"):
        store.open("../../etc/passwd")


def test_an_upload_streams_through_a_writer_and_is_committed_under_its_digest(store: BlobStore):
    chunks = [os.urandom(64 * 1024) for _ in range(10)]
    writer = store.writer(limit=len(chunks) * 64 * 1024)
    for chunk in chunks:
        writer.write(chunk)
    digest = store.commit(writer)
    assert digest == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert store.read(digest) == b"".join(chunks)
    assert tmp_files(store) == []


def _next_second() -> None:
    """Until the clock shows a later whole second (stores keep last-used times by the second)."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(int(time.time()) + 1 - time.time())


def test_the_same_bytes_twice_are_one_blob_whose_last_use_is_refreshed(store: BlobStore):
    data = b"the same scan, uploaded twice"
    first = store.put(data)
    [(_, stored)] = store.digests()
    _next_second()
    again = time.time()
    writer = store.writer(limit=len(data))
    writer.write(data)
    assert store.commit(writer) == first
    [(digest, reused)] = store.digests()
    assert digest == first
    assert reused > stored  # the sweep sees it as used just now
    assert reused >= int(again)
    assert tmp_files(store) == []


def test_an_upload_over_its_limit_is_refused_and_leaves_nothing(store: BlobStore):
    writer = store.writer(limit=100)
    writer.write(b"x" * 80)
    writer.write(b"x" * 80)
    assert writer.over_limit
    with pytest.raises(ValueError, match="over its limit"):
        store.commit(writer)
    writer.discard()
    assert list(store.digests()) == []
    assert tmp_files(store) == []


def test_deletion_keeps_what_is_fresh_or_referenced_and_deletes_the_rest(store: BlobStore):
    kept, orphan = store.put(b"named by a row"), store.put(b"named by nothing")
    # Within the grace period: kept, referenced or not.
    assert not store.remove_unused(orphan, grace_seconds=3600, used=lambda s: False)
    # Past it (a grace of 0 makes every blob old): kept only while a row names it.
    assert not store.remove_unused(kept, grace_seconds=0, used=lambda s: s == kept)
    assert store.remove_unused(orphan, grace_seconds=0, used=lambda s: s == kept)
    assert not store.exists(orphan)
    assert [d for d, _ in store.digests()] == [kept]
    assert not store.remove_unused(orphan, grace_seconds=0, used=lambda s: False)  # gone already
    assert store.settle_leftovers(grace_seconds=0, used=lambda s: False) == 0


def test_bytes_stored_again_after_their_blob_was_swept_are_stored_anew(store: BlobStore):
    data = b"removed, then uploaded again"
    digest = store.put(data)
    assert store.remove_unused(digest, grace_seconds=0, used=lambda s: False)
    assert store.put(data) == digest
    assert store.read(digest) == data


def test_digests_lists_every_blob_once(store: BlobStore):
    stored = {store.put(f"blob {n}".encode()) for n in range(25)}
    store.put(b"blob 3")
    listed = [d for d, _ in store.digests()]
    assert sorted(listed) == sorted(stored)
    assert all(when <= time.time() + 1 for _, when in store.digests())


@pytest.mark.slow
def test_a_large_upload_is_stored_and_read_back_in_bounded_memory(store: BlobStore):
    """48 MB in, through S3's multipart path (parts of 8 MB), and out again as a stream: the
    Python heap never holds more than a fraction of the file."""
    size, chunk = 48 * MB, 256 * 1024
    block = os.urandom(chunk)
    expected = hashlib.sha256()
    tracemalloc.start()
    try:
        writer = store.writer(limit=size)
        for _ in range(size // chunk):
            writer.write(block)
            expected.update(block)
        digest = store.commit(writer)
        _, stored_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        before_read, _ = tracemalloc.get_traced_memory()
        got = hashlib.sha256()
        with store.open(digest) as stream:
            assert stream.size == size
            while data := stream.read(chunk):
                got.update(data)
        _, read_peak = tracemalloc.get_traced_memory()
        read_peak -= before_read  # what reading added to what was held already
    finally:
        tracemalloc.stop()
    assert digest == expected.hexdigest() == got.hexdigest()
    print(f"peak while storing {stored_peak / MB:.1f} MB, while reading {read_peak / MB:.1f} MB")
    assert stored_peak < size / 2, f"{stored_peak / MB:.1f} MB held to store {size // MB} MB"
    assert read_peak < size / 8, f"{read_peak / MB:.1f} MB held to read {size // MB} MB"
