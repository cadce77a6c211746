"""Provider imports (Bitly, Rebrandly, Short.io): the catalogue of sources, the HTTP client
(through net_guard, base URLs from settings), the access token held for the job only (Fernet
at rest, dropped when the job ends), the token check at start, Bitly's OAuth web flow, and the
pages a job reads. Rows become links in services/imports.py, never here."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import ImportJob, User, Workspace
from linkhub.services import (
    import_bitly,
    import_rebrandly,
    import_shortio,
    imports,
    link_fields,
    net_guard,
)

PROVIDERS = {m.NAME: m for m in (import_bitly, import_rebrandly, import_shortio)}
FILE_SOURCES = {
    "csv": ("CSV file", "POST /api/links/import/csv (multipart `file`, or JSON `rows`)"),
    "json": ("linkhub JSON bundle", "POST /api/links/import/json (multipart `file`, or the "
                                    "bundle as the JSON body)"),
}
STATE_MAX_AGE = 600  # seconds an OAuth round trip may take
MAX_ANSWER = 10_000_000


class ProviderError(Exception):
    """The provider failed (unreachable, an error status, a malformed answer): the job fails."""


class TokenRejected(ProviderError):
    """The provider answered 401/403: the access token is wrong or revoked."""


class ProviderBusy(ProviderError):
    """429: stop this run and resume from the cursor on the next one."""


def _settings() -> dict[str, Any]:
    return current_app.config["LINKHUB"]


def module(provider: str) -> Any:
    found = PROVIDERS.get(provider)
    if found is None:
        raise NotFound(f"Unknown import provider {provider!r}; use one of "
                       f"{', '.join(PROVIDERS)}.")
    return found


def oauth_ready(provider: str) -> bool:
    settings = _settings()
    return bool(module(provider).OAUTH and settings["IMPORT_BITLY_CLIENT_ID"]
                and settings["IMPORT_BITLY_CLIENT_SECRET"])


def catalogue() -> list[dict[str, Any]]:
    """Every source: the two file formats and the three providers."""
    out = [{"id": key, "name": label, "kind": "file", "oauth": False, "start": route,
            "options": {}} for key, (label, route) in FILE_SOURCES.items()]
    for name, mod in PROVIDERS.items():
        out.append({"id": name, "name": mod.LABEL, "kind": "api",
                    "oauth": oauth_ready(name),
                    "start": f"POST /api/links/import/{name}/start",
                    "options": {**mod.OPTIONS, "domain": "Our domain to create the links on "
                                                         "(default: this install's domain)."}})
    return out


@dataclass
class Client:
    """JSON over HTTP to one provider with one token."""

    provider: Any
    token: str

    @property
    def base(self) -> str:
        return _settings()[self.provider.SETTING].rstrip("/")

    def _send(self, method: str, path: str, *, body: bytes | None = None,
              headers: dict[str, str] | None = None,
              refused: tuple[int, ...] = (401, 403)) -> net_guard.Fetched:
        label = self.provider.LABEL
        try:
            got = net_guard.fetch(method, self.base + path, body=body, headers={
                "Accept": "application/json", "User-Agent": "linkhub-import",
                **self.provider.headers(self.token), **(headers or {})},
                allow_private=_settings()["IMPORT_ALLOW_PRIVATE"], total_timeout=30,
                max_bytes=MAX_ANSWER)
        except net_guard.FetchError as exc:
            raise ProviderError(f"Could not reach {label}: {exc.message}") from None
        if got.status in refused:
            what = "the access token" if method == "GET" else "the request"
            self.rejected(f"{label} rejected {what} (HTTP {got.status})")
        if got.status == 429:
            raise ProviderBusy(f"{label} is rate limiting the import (HTTP 429)")
        if not 200 <= got.status < 300:
            self.failed(f"{label} answered HTTP {got.status} for {path.split('?')[0]}")
        if got.truncated:
            self.failed(f"{label}'s answer for {path.split('?')[0]} is larger than "
                        f"{MAX_ANSWER // 1_000_000} MB")
        return got

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        query = ("?" + urlencode(params)) if params else ""
        body = self._send("GET", path + query).body
        try:
            return json.loads(body)
        except ValueError:
            self.failed(f"{self.provider.LABEL} answered {path} with something that is not "
                        "JSON")

    def post_form(self, path: str, fields: Mapping[str, str]) -> bytes:
        """A form POST (OAuth token exchange: a refused code is a 400 there)."""
        return self._send("POST", path, body=urlencode(fields).encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded"}, refused=(400, 401, 403)).body

    def rejected(self, message: str) -> None:
        raise TokenRejected(message)

    def failed(self, message: str) -> None:
        raise ProviderError(message)


# --- the token at rest -------------------------------------------------------------------------

def _fernet() -> Fernet:
    secret = current_app.config["LINKHUB_SECRETS"]["encryption_key"].encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"linkhub.imports\0" + secret)
                                           .digest()))


def seal(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def unseal(job: ImportJob) -> str:
    if not job.token_encrypted:
        raise ProviderError("The access token is gone (the job ended or was cancelled).")
    try:
        return _fernet().decrypt(job.token_encrypted.encode()).decode()
    except InvalidToken:
        raise ProviderError("The stored access token cannot be decrypted (the install's "
                            "encryption key changed); start the import again.") from None


# --- starting ----------------------------------------------------------------------------------

def _options(workspace: Workspace, provider: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key in provider.OPTIONS:
        value = data.get(key)
        if value not in (None, ""):
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise Invalid(fields={key: "must be a string"})
            options[key] = str(value).strip()
    if data.get("domain") not in (None, ""):
        found = link_fields.domain_by_host(workspace, data["domain"])
        if found is not None:  # the default domain needs no option
            options["domain"] = found.name
    return options


def check_token(provider: str, token: str) -> None:
    """The provider's cheapest authenticated call: 400 INVALID_PROVIDER_TOKEN on 401/403,
    503 when it cannot be reached."""
    mod = module(provider)
    try:
        mod.check_token(Client(mod, token))
    except TokenRejected as exc:
        raise ApiError("INVALID_PROVIDER_TOKEN", f"{exc} Check the token and try "
                                                 "again.") from None
    except ProviderError as exc:
        raise ApiError("SERVICE_UNAVAILABLE", str(exc)) from None


def start(workspace: Workspace, actor: User | None, provider: str,
          data: Mapping[str, Any]) -> ImportJob:
    """Check the token with the provider, then queue the job holding it (sealed)."""
    mod = module(provider)
    token = data.get("accessToken")
    if not isinstance(token, str) or not token.strip():
        raise Invalid(fields={"accessToken": "is required"})
    token = token.strip()
    if len(token) > 4096 or any(ch in token for ch in "\r\n\0"):
        raise Invalid(fields={"accessToken": "is not a token"})
    options = _options(workspace, mod, data)
    check_token(provider, token)
    return imports.create_job(workspace, actor, provider, options=options,
                              token_encrypted=seal(token))


# --- OAuth (Bitly) -----------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="linkhub.import-oauth")


def redirect_uri(provider: str) -> str:
    return f"{_settings()['BASE_URL']}/api/links/import/{provider}/callback"


def oauth_start(workspace: Workspace, actor: User | None, provider: str, *,
                dashboard: bool = False, options: Mapping[str, Any] | None = None
                ) -> dict[str, Any]:
    mod = module(provider)
    if not mod.OAUTH:
        raise ApiError("BAD_REQUEST", f"{mod.LABEL} imports use an API key, not OAuth: send it "
                                      f"as accessToken to POST /api/links/import/{provider}"
                                      "/start.")
    if not oauth_ready(provider):
        raise ApiError("BAD_REQUEST", f"{mod.LABEL} OAuth is not configured on this install: "
                                      "set IMPORT_BITLY_CLIENT_ID and IMPORT_BITLY_CLIENT_SECRET"
                                      ", or start the import with an access token.")
    state = _serializer().dumps({"w": workspace.public_id, "p": provider, "d": dashboard,
                                 "u": actor.public_id if actor else None,
                                 "o": _options(workspace, mod, options or {})})
    uri = redirect_uri(provider)
    return {"authorizeUrl": mod.authorize_url(_settings()["IMPORT_BITLY_CLIENT_ID"], uri, state),
            "state": state, "redirectUri": uri}


def read_state(provider: str, state: Any) -> dict[str, Any]:
    """The signed state of an OAuth round trip (400 when forged, expired or for another
    provider)."""
    if not isinstance(state, str) or not state:
        raise Invalid(fields={"state": "is required"})
    try:
        data = _serializer().loads(state, max_age=STATE_MAX_AGE)
    except SignatureExpired:
        raise Invalid(fields={"state": "has expired; start the authorisation again"}) from None
    except BadSignature:
        raise Invalid(fields={"state": "is not a state this install issued"}) from None
    if data.get("p") != provider:
        raise Invalid(fields={"state": "was issued for another provider"})
    return data


def oauth_finish(workspace: Workspace, actor: User | None, provider: str, code: Any,
                 state: dict[str, Any]) -> ImportJob:
    """Exchange the code for a token and queue the import with it."""
    if state.get("w") != workspace.public_id or state.get("u") != (
            actor.public_id if actor else None):
        raise Invalid(fields={"state": "belongs to another user or workspace"})
    if not isinstance(code, str) or not code.strip():
        raise Invalid(fields={"code": "is required"})
    mod = module(provider)
    settings = _settings()
    try:
        token = mod.exchange(Client(mod, ""), code.strip(), settings["IMPORT_BITLY_CLIENT_ID"],
                             settings["IMPORT_BITLY_CLIENT_SECRET"], redirect_uri(provider))
    except TokenRejected as exc:
        raise ApiError("INVALID_PROVIDER_TOKEN", f"{mod.LABEL} refused the authorisation "
                                                 f"code: {exc}") from None
    except ProviderError as exc:
        raise ApiError("SERVICE_UNAVAILABLE", str(exc)) from None
    return start(workspace, actor, provider, {**(state.get("o") or {}), "accessToken": token})


# --- the job's pages ---------------------------------------------------------------------------

def pages(job: ImportJob, cursor: Any) -> Iterator[tuple[list[dict], dict]]:
    """(rows, cursor after them); the last page's cursor is {"done": true}."""
    if cursor == {"done": True}:
        return
    mod = module(job.source)
    client = Client(mod, unseal(job))
    domain = (job.options or {}).get("domain")
    for rows, following in mod.pages(client, job.options or {}, cursor):
        if domain:
            rows = [{**r, "domain": domain} for r in rows]
        yield rows, following if following is not None else {"done": True}
