"""Absolute links on the configured public address (OPENDVC_PUBLIC_URL), never on the Host header.

A resume link, a QR code or a signing agent's address built from the request's Host would send
an applicant's secret wherever a forged Host header points. Every `url_for(..., _external=True)`,
in views and templates alike, goes through the URL adapter made here, so none can.

The portal's routes also bound every `<int:…>` to what a database id can be (a signed 64-bit
integer): a larger number in a URL is a page not found, never an overflow at the database."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, request
from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter, Map, MapAdapter

REFUSED_HOST = "opendvc.refused_host"  # in the WSGI environ: why the Host was refused


MAX_ID = 2**63 - 1  # BIGINT, and what SQLite's integers hold


class Id(IntegerConverter):
    """`<int:…>` as the portal reads it: at most MAX_ID unless the route says otherwise."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Routes(Map):
    default_converters = ImmutableDict({**Map.default_converters, "int": Id})


class Portal(Flask):
    url_map_class = Routes

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        public = urlsplit(self.config["OPENDVC"].PUBLIC_URL)
        if request is None:  # commands and workers: links on the public address too
            return self.url_map.bind(public.netloc, url_scheme=public.scheme)
        try:
            adapter = super().create_url_adapter(request)  # checks the Host against TRUSTED_HOSTS
        except SecurityError as refused:
            # Refused before anything else runs (see preprocess_request); the error page still
            # needs an adapter for its links, bound to the public address, not the refused Host.
            request.environ[REFUSED_HOST] = refused
            environ = {**request.environ, "HTTP_HOST": public.netloc}
            adapter = self.url_map.bind_to_environ(environ, server_name=public.netloc, subdomain="")
        assert adapter is not None
        adapter.server_name, adapter.url_scheme = public.netloc, public.scheme
        return adapter

    def preprocess_request(self) -> Any:
        """A request for a host the portal does not serve is answered 400 before any view, hook
        or routing error: whatever its path, it gets no page with links in it."""
        if (refused := request.environ.get(REFUSED_HOST)) is not None:
            raise refused
        return super().preprocess_request()
