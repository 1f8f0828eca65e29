"""A real OpenID Connect provider for the tests, as its own process on 127.0.0.1.

    python tests/oidc_provider.py CLIENT_ID CLIENT_SECRET

Listens on a port the system picks and prints "oidc listening on http://127.0.0.1:<port>" once
it accepts connections. It serves what a provider such as VNeID serves: the discovery document,
its JWKS (an RSA key made at start, in memory only), /authorize (auto-approving, no login page),
/token (the client's secret, PKCE S256 checked; a code works once) and /end_session.

What the next /authorize does is set by the test (tests/oidcprovider.py drives it):
POST /_test/next {"sub": …, "claims": {…}, "deny": false, "fault": null | "expired" | "nonce"}.
GET /_test/log tells what the provider saw (authorize parameters, logouts)."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.datastructures import Authorization
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class Provider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": generate_token(8), "use": "sig", "alg": "RS256"}
        )
        self.issuer = ""
        self.next: dict[str, Any] = {"sub": "citizen-1", "claims": {}, "deny": False, "fault": None}
        self.codes: dict[str, dict[str, Any]] = {}
        self.log: dict[str, list[Any]] = {"authorize": [], "token": [], "end_session": []}
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        route = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/end_session": self.end_session,
            "/_test/next": self.set_next,
            "/_test/log": self.get_log,
        }.get(request.path)
        response = route(request) if route else Response("not found", status=404)
        return response(environ, start_response)

    @staticmethod
    def _json(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def discovery(self, request: Request) -> Response:
        base = self.issuer
        return self._json(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "end_session_endpoint": f"{base}/end_session",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    def jwks(self, request: Request) -> Response:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        args = request.args
        with self.lock:
            self.log["authorize"].append(dict(args))
            wanted = dict(self.next)
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id or not redirect_uri:
            return Response("unknown client", status=400)
        if wanted.get("deny"):
            query = {"error": "access_denied", "error_description": "denied", "state": args.get("state", "")}
            return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return Response("PKCE S256 required", status=400)
        code = generate_token(32)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": redirect_uri,
                "challenge": args["code_challenge"],
                "nonce": args.get("nonce"),
                "wanted": wanted,
                "used": False,
            }
        query = {"code": code, "state": args.get("state", "")}
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})

    def _client_ok(self, request: Request) -> bool:
        auth: Authorization | None = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username == self.client_id and auth.password == self.client_secret
        form = request.form
        return form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret

    def token(self, request: Request) -> Response:
        form = request.form
        with self.lock:
            self.log["token"].append({"code": form.get("code")})
        if not self._client_ok(request):
            return self._json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return self._json({"error": "unsupported_grant_type"}, 400)
        with self.lock:
            grant = self.codes.get(form.get("code", ""))
            if grant is None or grant["used"]:
                return self._json(
                    {"error": "invalid_grant", "error_description": "code unknown or used"}, 400
                )
            grant["used"] = True
        if grant["redirect_uri"] != form.get("redirect_uri"):
            return self._json({"error": "invalid_grant", "error_description": "redirect_uri"}, 400)
        verifier = form.get("code_verifier", "")
        if not verifier or create_s256_code_challenge(verifier) != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        wanted = grant["wanted"]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": wanted["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **wanted.get("claims", {}),
        }
        if wanted.get("fault") == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        if wanted.get("fault") == "nonce":
            claims["nonce"] = "not-the-nonce"
        if wanted.get("fault") == "audience":
            claims["aud"] = "another-client"
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        return self._json(
            {
                "access_token": generate_token(32),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def end_session(self, request: Request) -> Response:
        args = dict(request.args)
        with self.lock:
            self.log["end_session"].append(args)
        back = args.get("post_logout_redirect_uri")
        if back:
            return Response(status=302, headers={"Location": back})
        return Response("signed out")

    def set_next(self, request: Request) -> Response:
        given = request.get_json(force=True)
        with self.lock:
            self.next = {"sub": "citizen-1", "claims": {}, "deny": False, "fault": None, **given}
        return self._json({"ok": True})

    def get_log(self, request: Request) -> Response:
        with self.lock:
            return self._json(self.log)


def main(client_id: str, client_secret: str) -> None:
    provider = Provider(client_id, client_secret)
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    print(f"oidc listening on {provider.issuer}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
