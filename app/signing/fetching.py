"""Revocation data and issuer certificates fetched only from configured places.

A certificate names its own OCSP, CRL and issuer URLs; an applicant can make one that points
at the portal's internal network. Fetches are allowed only for URLs under the prefixes of
OPENDVC_SIGNING_FETCH_URL_PREFIXES (the CAs the deployment trusts); none configured, no fetching.

pyHanko's requests fetchers do the fetching (with their caches and their fetch budget); each is
wrapped in one of pyhanko-certvalidator's public fetcher interfaces that first looks at the
URLs the certificate (or CRL) names, with the same helpers pyHanko uses to find them. Those
interfaces fetch for a certificate, not for a URL: a certificate naming any URL outside the
prefixes gets nothing of that kind fetched for it, as if those responders were down (before,
its other URLs were still tried; pyHanko has no public way to hand its fetchers fewer URLs).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Iterable
from typing import TypeAlias

from asn1crypto import cms, crl, ocsp, x509
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers.api import CertificateFetcher, CRLFetcher, Fetchers, OCSPFetcher
from pyhanko_certvalidator.fetchers.common_utils import enumerate_delivery_point_urls, gather_aia_issuer_urls
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.util import get_ocsp_urls, get_relevant_crl_dps

Certificate: TypeAlias = "x509.Certificate | cms.AttributeCertificateV2"
Issuers: TypeAlias = AsyncGenerator[x509.Certificate, None]
logger = logging.getLogger(__name__)


class Allowlist:
    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes

    def refused(self, urls: Iterable[str]) -> str | None:
        """The first URL outside the prefixes, if any."""
        return next((url for url in urls if not url.startswith(self.prefixes)), None)


def _refusal(url: str) -> str:
    return f"not an allowed place to fetch from: {url[:80]}"


class AllowlistedOCSPFetcher(OCSPFetcher):
    def __init__(self, inner: OCSPFetcher, allowlist: Allowlist) -> None:
        self.inner = inner
        self.allowlist = allowlist

    async def fetch(self, cert: Certificate, authority: Authority) -> ocsp.OCSPResponse:
        if url := self.allowlist.refused(get_ocsp_urls(cert)):
            raise OCSPFetchError(_refusal(url))
        return await self.inner.fetch(cert, authority)

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return self.inner.fetched_responses()

    def fetched_responses_for_cert(self, cert: Certificate) -> Iterable[ocsp.OCSPResponse]:
        return self.inner.fetched_responses_for_cert(cert)


class AllowlistedCRLFetcher(CRLFetcher):
    def __init__(self, inner: CRLFetcher, allowlist: Allowlist) -> None:
        self.inner = inner
        self.allowlist = allowlist

    async def fetch(
        self, cert: Certificate, *, use_deltas: bool | None = True
    ) -> Iterable[crl.CertificateList]:
        points = get_relevant_crl_dps(cert, use_deltas=bool(use_deltas))
        if url := self.allowlist.refused(u for point in points for u in enumerate_delivery_point_urls(point)):
            raise CRLFetchError(_refusal(url))
        return await self.inner.fetch(cert, use_deltas=use_deltas)

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return self.inner.fetched_crls()

    def fetched_crls_for_cert(self, cert: Certificate) -> Iterable[crl.CertificateList]:
        return self.inner.fetched_crls_for_cert(cert)


class AllowlistedCertificateFetcher(CertificateFetcher):
    def __init__(self, inner: CertificateFetcher, allowlist: Allowlist) -> None:
        self.inner = inner
        self.allowlist = allowlist

    def fetch_cert_issuers(self, cert: Certificate) -> Issuers:
        if url := self.allowlist.refused(gather_aia_issuer_urls(cert)):
            return _nothing(url)
        return self.inner.fetch_cert_issuers(cert)

    def fetch_crl_issuers(self, certificate_list: crl.CertificateList) -> Issuers:
        if url := self.allowlist.refused(certificate_list.issuer_cert_urls):
            return _nothing(url)
        return self.inner.fetch_crl_issuers(certificate_list)

    def fetched_certs(self) -> Iterable[x509.Certificate]:
        return self.inner.fetched_certs()


async def _nothing(url: str) -> Issuers:
    """No issuer certificates: what pyHanko's fetcher yields when every fetch failed (it logs
    and skips a failed one)."""
    logger.warning("issuer certificates not fetched: %s", _refusal(url))
    nothing: tuple[x509.Certificate, ...] = ()
    for certificate in nothing:
        yield certificate


class AllowlistedFetcherBackend(RequestsFetcherBackend):
    def __init__(self, prefixes: tuple[str, ...], per_request_timeout: int = 10) -> None:
        super().__init__(per_request_timeout=per_request_timeout)
        self.allowlist = Allowlist(prefixes)

    def get_fetchers(self) -> Fetchers:
        fetchers = super().get_fetchers()
        return Fetchers(
            ocsp_fetcher=AllowlistedOCSPFetcher(fetchers.ocsp_fetcher, self.allowlist),
            crl_fetcher=AllowlistedCRLFetcher(fetchers.crl_fetcher, self.allowlist),
            cert_fetcher=AllowlistedCertificateFetcher(fetchers.cert_fetcher, self.allowlist),
        )
