"""Uploads: streamed straight into the blob store while the request body is parsed, and the one
decorator by which a view that takes files declares how much it takes.

The body of a request is parsed the first time anything reads `request.form` or `request.files`:
the limit must be known before that, and so must the CSRF check, which reads the form. An upload
view therefore says both in one place, `@upload_limit(...)`, and the site-wide CSRF check (which
would parse the body before any limit is set) leaves it alone. Every other view takes no files: a
file part sent to it is read and dropped as it streams, never stored."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Request, current_app, g
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from app.extensions import csrf
from app.storage import BlobWriter, get_blobs

MB = 1024 * 1024

View = Callable[..., ResponseReturnValue]


class UploadRequest(Request):
    """Werkzeug's multipart parser writes each file part into a BlobWriter: hashed on the way,
    never held whole in memory, and cut off at the limit the view declared with `upload_limit`."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        in_memory = g.get("upload_in_memory")
        if in_memory:  # key material: never on disk
            return InMemoryUpload(in_memory)
        limit = g.get("upload_limit")
        if not limit:  # a view that takes no files: a file part is dropped as it streams
            return InMemoryUpload(0)
        writer = get_blobs().writer(limit)
        g.setdefault("uploads", []).append(writer)
        return writer


class InMemoryUpload(io.BytesIO):
    """A small upload kept in memory only (a PKCS#12 file); past its limit it keeps nothing."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.size = 0

    @property
    def over_limit(self) -> bool:
        return self.size > self.limit

    def write(self, data: bytes) -> int:  # type: ignore[override]  # werkzeug's parser writes bytes only
        self.size += len(data)
        if not self.over_limit:
            super().write(data)
        return len(data)


def upload_limit(
    limit: int | Callable[..., int],
    *,
    in_memory: bool = False,
    expired: View | None = None,
) -> Callable[[View], View]:
    """Declare a view that takes files.

    `limit` is the most bytes one file may have (past it the bytes are counted, not kept, and the
    view sees `over_limit`), or a function of the view's arguments that gives it; that function
    runs before the body is read, so it is also where the view's target is looked up and a 404
    given (a stranger's bytes are then never stored). A limit of 0 takes no files.
    `in_memory` keeps the files in memory only, never on disk (key material).
    `expired` answers, given the view's arguments, when the CSRF token is missing or wrong: the
    view's own page with the reason, say; without it, the site's error page (400).
    A body larger than the whole request may be is refused (413) before any of it is read."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(**view_args: Any) -> ResponseReturnValue:
            allowed = limit(**view_args) if callable(limit) else limit
            if in_memory:
                g.upload_in_memory = allowed
            else:
                g.upload_limit = allowed
            if current_app.config["WTF_CSRF_ENABLED"]:
                try:
                    csrf.protect()
                except CSRFError:
                    if expired is None:
                        raise
                    return expired(**view_args)
            return view(**view_args)

        return csrf.exempt(checked)  # checked above, once the limit is set

    return decorate


def discard_unclaimed(exc: BaseException | None = None) -> None:
    """Teardown: whatever upload a view did not store is deleted."""
    for writer in g.pop("uploads", []):
        writer.discard()


def writer_of(file_storage: Any) -> BlobWriter | None:
    stream = getattr(file_storage, "stream", None)
    return stream if isinstance(stream, BlobWriter) else None
