"""Revocation data and issuer certificates fetched only from configured places.

A certificate names its own OCSP, CRL and issuer URLs; an applicant can make one that points
at the portal's internal network. Fetches are allowed only for URLs under the prefixes of
OPENDVC_SIGNING_FETCH_URL_PREFIXES (the CAs the deployment trusts); none configured, no fetching.
"""

from __future__ import annotations

from typing import Any

import requests
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend


class AllowlistedFetcherBackend(RequestsFetcherBackend):
    def __init__(self, prefixes: tuple[str, ...], per_request_timeout: int = 10) -> None:
        super().__init__(per_request_timeout=per_request_timeout)
        self.prefixes = prefixes

    def _guard(self, fetcher: Any) -> None:
        get, post = fetcher._get, fetcher._post

        def allowed(url: str) -> None:
            if not url.startswith(self.prefixes):
                raise requests.RequestException(f"not an allowed place to fetch from: {url[:80]}")

        def checked_get(url: str, **kwargs: Any) -> Any:
            allowed(url)
            return get(url, **kwargs)

        def checked_post(url: str, data: Any, **kwargs: Any) -> Any:
            allowed(url)
            return post(url, data, **kwargs)

        fetcher._get, fetcher._post = checked_get, checked_post

    def get_fetchers(self) -> Fetchers:
        fetchers = super().get_fetchers()
        for fetcher in (fetchers.ocsp_fetcher, fetchers.crl_fetcher, fetchers.cert_fetcher):
            self._guard(fetcher)
        return fetchers
