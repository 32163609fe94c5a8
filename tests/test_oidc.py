"""OpenID Connect sign-in, end to end against a tiny OpenID provider this test runs on
127.0.0.1 (real HTTP: authorize → callback → token → JWKS → userinfo), with RS256 ID tokens
signed here."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from nrs.accounts.models import Grant, User
from nrs.audit.events import EventType
from nrs.audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashes(settings):  # type: ignore[no-untyped-def]
    """Argon2 costs ~0.3 s per sign-in; these tests sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CLIENT_ID, CLIENT_SECRET = "nrs-test", secrets.token_urlsafe(16)


class Provider:
    """Who signs in next (claims), and what the provider answers."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.claims: dict[str, Any] = {}
        self.codes: dict[str, str] = {}  # code -> nonce
        self.audience = CLIENT_ID
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        payload = {"iss": self.base, "aud": self.audience, "sub": self.claims.get("sub", "u1"),
                   "iat": now, "exp": now + 300, "nonce": nonce, **self.claims.get("id", {})}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/authorize":
                    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                    code = secrets.token_urlsafe(8)
                    provider.codes[code] = query["nonce"]
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?"
                                     + urlencode({"code": code, "state": query["state"]}))
                    self.end_headers()
                elif url.path == "/jwks":
                    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key(), as_dict=True)
                    self._json({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                elif url.path == "/userinfo":
                    assert self.headers["Authorization"] == "Bearer access-1"
                    self._json({"sub": provider.claims.get("sub", "u1"), **provider.claims["userinfo"]})
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if (self.path != "/token" or form.get("client_secret") != CLIENT_SECRET
                        or form.get("code") not in provider.codes):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                nonce = provider.codes.pop(form["code"])
                self._json({"access_token": "access-1", "token_type": "Bearer",
                            "id_token": provider.id_token(nonce)})

        return Handler


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    op = Provider()
    thread = threading.Thread(target=op.server.serve_forever, daemon=True)
    thread.start()
    yield op
    op.server.shutdown()
    op.server.server_close()


@pytest.fixture
def oidc_on(settings, provider):  # type: ignore[no-untyped-def]
    settings.NRS_OIDC_ISSUER = provider.base
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.base}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.base}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.base}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.base}/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.NRS_OIDC_NAME = "VNeID"
    provider.audience = CLIENT_ID
    provider.claims = {}
    return provider


def sign_in_through(client: Client, provider: Provider, email: str, *, amr: list[str] | None = None,
                    next_url: str = "/registry/", sub: str | None = None, username: str | None = None,
                    verified: Any = True) -> Any:
    """Drive the whole flow; returns the callback's response. The person is ``sub`` at the
    provider (by default their e-mail), with that e-mail (``email_verified``: ``verified``,
    left out when None) and ``preferred_username`` (by default the e-mail's local part)."""
    userinfo = {"email": email, "preferred_username": username or email.split("@")[0],
                "name": "Người dùng OIDC"}
    if verified is not None:
        userinfo["email_verified"] = verified
    provider.claims = {"sub": sub or email, "userinfo": userinfo, "id": {"amr": amr} if amr else {}}
    start = client.get(f"/oidc/authenticate/?next={next_url}")
    assert start.status_code == 302 and start["Location"].startswith(f"{provider.base}/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_off_unless_configured(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert 'id="sign-in-oidc"' not in client.get("/accounts/login/").content.decode()


def test_a_known_user_signs_in_and_gets_no_role_from_claims(client, oidc_on, make_user):
    user = make_user("hanoi.reporter", "reporter", "01")
    User.objects.filter(pk=user.pk).update(email="reporter@hanoi.gov.vn")
    login_page = client.get("/accounts/login/").content.decode()
    assert 'id="sign-in-oidc"' in login_page and "VNeID" in login_page
    done = sign_in_through(client, oidc_on, "Reporter@HaNoi.gov.vn")
    assert done.status_code == 302 and done["Location"] == "/registry/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Event.objects.filter(event_type=EventType.LOGIN, actor_id=user.pk).exists()
    assert Grant.objects.filter(user=user).count() == 1
    assert client.get("/registry/").status_code == 200


def test_unknown_people_are_refused_or_created_without_grants(client, settings, oidc_on):
    refused = sign_in_through(client, oidc_on, "stranger@example.vn")
    assert refused.status_code == 302 and refused["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="stranger@example.vn").exists()
    settings.NRS_OIDC_CREATE_USERS = True
    created = sign_in_through(client, oidc_on, "stranger@example.vn")
    assert created.status_code == 302
    user = User.objects.get(email="stranger@example.vn")
    assert user.username == "stranger" and not user.has_usable_password()
    assert not Grant.objects.filter(user=user).exists()
    assert Event.objects.filter(event_type=EventType.USER_CREATED, object_id=str(user.pk)).exists()


def test_a_token_for_another_client_is_refused(client, oidc_on, make_user):
    user = make_user("hanoi.reporter", "reporter", "01")
    User.objects.filter(pk=user.pk).update(email="reporter@hanoi.gov.vn")
    oidc_on.audience = "someone-else"
    response = sign_in_through(client, oidc_on, "reporter@hanoi.gov.vn")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.two_factor
def test_two_factor_still_applies_unless_the_provider_did_mfa_and_is_trusted(
        client, settings, oidc_on, leader):
    User.objects.filter(pk=leader.pk).update(email="leader@chinhphu.vn")
    sign_in_through(client, oidc_on, "leader@chinhphu.vn", amr=["pwd", "mfa"])
    assert client.get("/registry/")["Location"].startswith("/accounts/2fa/")  # not trusted by default
    client.post("/accounts/logout/")
    settings.NRS_OIDC_TRUST_MFA = True
    sign_in_through(client, oidc_on, "leader@chinhphu.vn", amr=["pwd"])
    assert client.get("/registry/").status_code == 302  # trusted, but this sign-in had one factor
    client.post("/accounts/logout/")
    sign_in_through(client, oidc_on, "leader@chinhphu.vn", amr=["pwd", "mfa"])
    assert client.get("/registry/").status_code == 200


# -- issue 18, finding 2: accounts are linked by issuer and subject only ------------------

def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_provisioning_never_hands_out_an_existing_account(client, settings, oidc_on, make_user):
    """An unknown, verified e-mail whose preferred_username is an existing user's name is
    refused: it must not sign in as that user (the takeover of finding 2)."""
    victim = make_user("hanoi.reporter", "reporter", "01")
    User.objects.filter(pk=victim.pk).update(email="reporter@hanoi.gov.vn")
    settings.NRS_OIDC_CREATE_USERS = True
    response = sign_in_through(client, oidc_on, "attacker@evil.example", sub="attacker-1",
                               username="hanoi.reporter")
    assert signed_in_as(client) is None
    assert response.status_code == 403
    assert "hanoi.reporter" in response.content.decode()
    assert User.objects.filter(username__iexact="hanoi.reporter").count() == 1
    refused = Event.objects.filter(event_type=EventType.SIGNIN_REFUSED).last()
    assert refused is not None and refused.data["reason"] == "username_taken"
    # Another spelling of the same name is the same name.
    sign_in_through(Client(), oidc_on, "attacker@evil.example", sub="attacker-1", username="HaNoi.Reporter")
    assert User.objects.filter(username__iexact="hanoi.reporter").count() == 1


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_matches_nobody(client, oidc_on, make_user, verified):
    user = make_user("hanoi.reporter", "reporter", "01")
    User.objects.filter(pk=user.pk).update(email="reporter@hanoi.gov.vn")
    sign_in_through(client, oidc_on, "reporter@hanoi.gov.vn", sub="someone", verified=verified)
    assert signed_in_as(client) is None


def test_later_sign_ins_follow_issuer_and_subject_only(client, oidc_on, make_user):
    from nrs.accounts.identities import ExternalIdentity

    user = make_user("hanoi.reporter", "reporter", "01")
    User.objects.filter(pk=user.pk).update(email="reporter@hanoi.gov.vn")
    sign_in_through(client, oidc_on, "reporter@hanoi.gov.vn", sub="person-7")
    assert signed_in_as(client) == str(user.pk)
    link = ExternalIdentity.objects.get(user=user)
    assert (link.issuer, link.subject) == (oidc_on.base, "person-7")
    client.post("/accounts/logout/")
    # The same person with a new e-mail at the provider is still this user ...
    sign_in_through(client, oidc_on, "new.address@hanoi.gov.vn", sub="person-7")
    assert signed_in_as(client) == str(user.pk)
    client.post("/accounts/logout/")
    # ... and another person who now holds the user's e-mail is not.
    other = Client()
    sign_in_through(other, oidc_on, "reporter@hanoi.gov.vn", sub="person-8")
    assert other.session.get("_auth_user_id") is None
    assert ExternalIdentity.objects.filter(user=user).count() == 1


def test_the_userinfo_subject_must_be_the_id_token_subject(client, oidc_on, make_user):
    user = make_user("hanoi.reporter", "reporter", "01")
    User.objects.filter(pk=user.pk).update(email="reporter@hanoi.gov.vn")
    oidc_on.claims = {}
    start = client.get("/oidc/authenticate/")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    oidc_on.claims = {"sub": "person-7", "id": {"sub": "person-9"},
                      "userinfo": {"email": "reporter@hanoi.gov.vn", "email_verified": True}}
    client.get(f"{back.path}?{back.query}")
    assert signed_in_as(client) is None
