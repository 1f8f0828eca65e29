"""A test PKI made with certomancer: root → intermediate → citizens, a seal, a TSA, an OCSP
responder and CRLs, all served over HTTP on 127.0.0.1 by certomancer's Animator.

Keys are generated for the test session into a temporary folder (certomancer reads keys from
files); they are test keys, never used anywhere else.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from asn1crypto import pem
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server

ARCH = "opendvc-test"
PASSPHRASE = "mật khẩu thử"  # non-ASCII on purpose
KEYS = (
    "root", "interm", "citizen", "expired", "revoked", "seal", "tsa", "ocsp", "rogue", "rogue_citizen",
    "tls_server", "tls_client", "agency_root", "agency", "other_agency", "future", "no_usage", "sub_ca",
    "person", "business",
)  # fmt: skip
# A personal identification number and a tax code (valid check digit) carried in certificates.
PERSON_ID = "001090001234"
BUSINESS_TAX_CODE = "0100109106"
SIGNING_CA_USAGE = ("digital_signature", "non_repudiation", "key_cert_sign")
LONG = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2045-01-01T00:00:00+0000"}


@dataclass
class TestPki:
    url: str
    folder: Path
    config: CertomancerConfig

    @property
    def arch(self):
        return self.config.get_pki_arch(ARCH)

    @property
    def root_pem(self) -> Path:
        return self.folder / "root.pem"

    @property
    def agency_root_pem(self) -> Path:
        """Agencies sign results under their own root, trusted apart from the applicants'."""
        return self.folder / "agency-root.pem"

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    def pkcs12(self, label: str, passphrase: str = PASSPHRASE) -> bytes:
        chain = {"rogue_citizen": ["rogue"], "agency": ["agency_root"], "other_agency": ["agency_root"]}.get(
            label, ["interm", "root"]
        )
        return self.arch.package_pkcs12(label, certs_to_embed=chain, password=passphrase.encode())

    def cert_der(self, label: str) -> bytes:
        return self.arch.get_cert(label).dump()

    def tls_files(self, label: str, folder: Path) -> tuple[Path, Path]:
        """PEM files for a TLS endpoint: its certificate followed by the issuing CA, and its key."""
        chain = folder / f"{label}-chain.pem"
        chain.write_bytes(
            pem.armor("CERTIFICATE", self.cert_der(label)) + pem.armor("CERTIFICATE", self.cert_der("interm"))
        )
        return chain, self.folder / "keys" / f"{label}.pem"


def _key_usage(*usages: str) -> dict:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


def _leaf(subject: str, issuer: str, validity: dict, **extra: object) -> dict:
    spec = {
        "subject": subject,
        "issuer": issuer,
        "validity": validity,
        "extensions": [
            _key_usage("digital_signature", "non_repudiation"),
        ],
    }
    if issuer == "interm":
        spec["extensions"] += [
            {
                "id": "authority_information_access",
                "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}},
            },
            {
                "id": "crl_distribution_points",
                "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["interm"]}},
            },
        ]
    spec.update(extra)
    return spec


def _ca(
    subject: str,
    issuer: str,
    serial: int,
    usage: tuple[str, ...] = ("digital_signature", "key_cert_sign", "crl_sign"),
    **extra: object,
) -> dict:
    spec = {
        "subject": subject,
        "issuer": issuer,
        "serial": serial,
        "validity": {"valid-from": "2019-01-01T00:00:00+0000", "valid-to": "2050-01-01T00:00:00+0000"},
        "extensions": [
            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
            _key_usage(*usage),
        ],
    }
    spec.update(extra)
    return spec


def _tls(label: str, purpose: str, serial: int) -> dict:
    """A TLS certificate for 127.0.0.1 (a back office over https, or the portal as its client)."""
    return {
        "subject": label,
        "issuer": "interm",
        "serial": serial,
        "validity": LONG,
        "extensions": [
            _key_usage("digital_signature", "key_encipherment"),
            {"id": "extended_key_usage", "value": [purpose]},
            {
                "id": "subject_alt_name",
                "smart-value": {
                    "schema": "general-names",
                    "params": [
                        {"type": "ip", "value": "127.0.0.1"},
                        {"type": "dns-name", "value": "localhost"},
                    ],
                },
            },
        ],
    }


def build(folder: Path, url: str) -> CertomancerConfig:
    keys_dir = folder / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    for label in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (keys_dir / f"{label}.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    config = {
        "external-url-prefix": url,
        "keysets": {"test": {"path-prefix": str(keys_dir), "keys": {k: {"path": f"{k}.pem"} for k in KEYS}}},
        "pki-architectures": {
            ARCH: {
                "keyset": "test",
                "entity-defaults": {"country-name": "VN", "organization-name": "OpenDVC Test PKI"},
                "entities": {
                    "root": {"common-name": "OpenDVC Test Root CA"},
                    "interm": {"common-name": "OpenDVC Test Issuing CA"},
                    "citizen": {"common-name": "Nguyễn Thị Thu Hà"},
                    "expired": {"common-name": "Trần Văn Hết Hạn"},
                    "revoked": {"common-name": "Lê Văn Thu Hồi"},
                    "seal": {"common-name": "Cổng dịch vụ công OpenDVC (con dấu)"},
                    "tsa": {"common-name": "OpenDVC Test TSA"},
                    "ocsp": {"common-name": "OpenDVC Test OCSP"},
                    "rogue": {"common-name": "Untrusted Root"},
                    "rogue_citizen": {"common-name": "Kẻ Giả Mạo"},
                    "tls_server": {"common-name": "127.0.0.1"},
                    "tls_client": {"common-name": "Cổng dịch vụ công OpenDVC (máy khách TLS)"},
                    "agency_root": {"common-name": "OpenDVC Test Agency Root CA"},
                    "agency": {
                        "common-name": "Sở Tài nguyên và Môi trường Hà Nội",
                        "organization-name": "UBND Thành phố Hà Nội",
                    },
                    "other_agency": {
                        "common-name": "Sở Xây dựng Hà Nội",
                        "organization-name": "UBND Thành phố Hà Nội",
                    },
                    "future": {"common-name": "Đỗ Văn Chưa Tới"},
                    "no_usage": {"common-name": "Vũ Thị Mã Hoá"},
                    "sub_ca": {"common-name": "OpenDVC Test Sub CA"},
                    "person": {"common-name": "Phạm Minh Khôi", "user-id": f"CCCD:{PERSON_ID}"},
                    "business": {
                        "common-name": "Công ty TNHH Sông Hồng",
                        "organization-name": "Công ty TNHH Sông Hồng",
                        "user-id": f"MST:{BUSINESS_TAX_CODE}",
                    },
                },
                "certs": {
                    "root": _ca("root", "root", 1),
                    "interm": _ca(
                        "interm",
                        "root",
                        2,
                        **{
                            "extensions": _ca("interm", "root", 2)["extensions"]
                            + [
                                {
                                    "id": "crl_distribution_points",
                                    "smart-value": {
                                        "schema": "crl-dist-url",
                                        "params": {"crl-repo-names": ["root"]},
                                    },
                                }
                            ]
                        },
                    ),
                    "citizen": _leaf("citizen", "interm", LONG, serial=1001),
                    "expired": _leaf(
                        "expired",
                        "interm",
                        {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2022-01-01T00:00:00+0000"},
                        serial=1002,
                    ),
                    "revoked": _leaf(
                        "revoked",
                        "interm",
                        LONG,
                        serial=1003,
                        revocation={"revoked-since": "2024-01-01T00:00:00+0000", "reason": "key_compromise"},
                    ),
                    "seal": _leaf("seal", "interm", LONG, serial=1004),
                    "tsa": {
                        **_leaf("tsa", "root", LONG, serial=1005),
                        "extensions": [
                            _key_usage("digital_signature"),
                            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                        ],
                    },
                    "ocsp": {
                        **_leaf("ocsp", "interm", LONG, serial=1006),
                        "extensions": [
                            _key_usage("digital_signature"),
                            {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                            {"id": "ocsp_no_check"},
                        ],
                    },
                    "rogue": _ca("rogue", "rogue", 9),
                    "rogue_citizen": _leaf("rogue_citizen", "rogue", LONG, serial=1009),
                    "tls_server": _tls("tls_server", "server_auth", 1010),
                    "tls_client": _tls("tls_client", "client_auth", 1011),
                    "agency_root": _ca("agency_root", "agency_root", 20),
                    "agency": _leaf("agency", "agency_root", LONG, serial=2001),
                    "other_agency": _leaf("other_agency", "agency_root", LONG, serial=2002),
                    "future": _leaf(
                        "future",
                        "interm",
                        {"valid-from": "2040-01-01T00:00:00+0000", "valid-to": "2045-01-01T00:00:00+0000"},
                        serial=1012,
                    ),
                    "no_usage": {
                        **_leaf("no_usage", "interm", LONG, serial=1013),
                        "extensions": [
                            _key_usage("key_encipherment"),
                        ],
                    },
                    # A CA's certificate that would sign documents, as a person's would.
                    "sub_ca": _ca(
                        "sub_ca", "interm", 1014, ("digital_signature", "non_repudiation", "key_cert_sign")
                    ),
                    "person": _leaf("person", "interm", LONG, serial=1015),
                    "business": _leaf("business", "interm", LONG, serial=1016),
                },
                "services": {
                    "ocsp": {
                        "interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        },
                        "interm": {
                            "for-issuer": "interm",
                            "signing-key": "interm",
                            "simulated-update-schedule": "P30D",
                        },
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }
    (folder / "certomancer.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return CertomancerConfig.from_file(str(folder / "certomancer.yml"))


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[TestPki, object]:
    """Start the Animator on 127.0.0.1 (a free port), then build the PKI with that URL."""
    server = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True, request_handler=_Quiet)
    url = f"http://127.0.0.1:{server.server_port}"
    config = build(folder, url)
    server.app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pki = TestPki(url, folder, config)
    pki.root_pem.write_bytes(pem.armor("CERTIFICATE", pki.cert_der("root")))
    pki.agency_root_pem.write_bytes(pem.armor("CERTIFICATE", pki.cert_der("agency_root")))
    return pki, server
