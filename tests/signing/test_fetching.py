"""Revocation data is fetched only from the configured places (OPENDVC_SIGNING_FETCH_URL_PREFIXES),
whatever URLs a certificate names."""

from __future__ import annotations

import asyncio
import re

import pytest
from asn1crypto import x509
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError

from app.signing.fetching import AllowlistedFetcherBackend


def certificates(pki) -> tuple[x509.Certificate, AuthorityWithCert]:
    citizen = x509.Certificate.load(pki.cert_der("citizen"))
    return citizen, AuthorityWithCert(x509.Certificate.load(pki.cert_der("interm")))


def test_revocation_data_comes_from_an_allowed_place(pki):
    citizen, issuer = certificates(pki)
    fetchers = AllowlistedFetcherBackend((pki.url + "/",)).get_fetchers()
    response = asyncio.run(fetchers.ocsp_fetcher.fetch(citizen, issuer))
    assert response["response_status"].native == "successful"
    assert list(asyncio.run(fetchers.crl_fetcher.fetch(citizen)))


def test_a_certificate_naming_another_place_gets_nothing_fetched(pki):
    citizen, issuer = certificates(pki)
    fetchers = AllowlistedFetcherBackend(("https://ca.example.vn/",)).get_fetchers()
    refused = re.escape(f"not an allowed place to fetch from: {pki.url}/")
    with pytest.raises(OCSPFetchError, match=refused):
        asyncio.run(fetchers.ocsp_fetcher.fetch(citizen, issuer))
    with pytest.raises(CRLFetchError, match=refused):
        asyncio.run(fetchers.crl_fetcher.fetch(citizen))
    assert list(fetchers.ocsp_fetcher.fetched_responses()) == []
    assert list(fetchers.crl_fetcher.fetched_crls()) == []
