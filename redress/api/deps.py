"""Shared state of the API process and the request dependencies built on it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from temporalio.client import Client

from redress.api.signing import WebhookSigner
from redress.config import Grant, Settings
from redress.policy import Policy
from redress.providers import Provider
from redress.providers.antom import AntomProvider
from redress.providers.generic import GenericProvider
from redress.providers.stripe import StripeProvider


@dataclass
class AppState:
    settings: Settings
    client: Client
    engine: Engine
    policy: Policy
    signer: WebhookSigner | None
    providers: dict[str, Provider] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One verifier per provider scheme, keyed by the `/webhooks/{provider}` segment.
        s = self.settings
        self.providers.setdefault(GenericProvider.name, GenericProvider(self.signer))
        self.providers.setdefault(
            StripeProvider.name, StripeProvider(s.stripe_webhook_secret, s.stripe_merchant_id)
        )
        self.providers.setdefault(
            AntomProvider.name,
            AntomProvider(
                s.antom_public_key, s.antom_client_id, s.antom_merchant_id, s.antom_notify_path
            ),
        )


@dataclass(frozen=True, kw_only=True)
class Principal(Grant):
    """Who is asking: a stable actor ID for the audit log (`agent-<hash>`), with the token's
    role, scope and display name (`name`, from the token's `name=` part, or None)."""

    actor: str

    @property
    def display_name(self) -> str | None:
        return self.name


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.redress
    return state


async def get_state(request: Request) -> AppState:
    # async: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
    return app_state(request)


State = Annotated[AppState, Depends(get_state)]


def _refuse_unauthenticated(state: AppState, request: Request, reason: str) -> HTTPException:
    """Unauthenticated attempts on a case land in the audit log too, as `anonymous`."""
    case_id = request.path_params.get("case_id")
    if case_id is not None:
        from redress.store.crud import record_audit
        from redress.store.tables import AuditEntry

        record_audit(
            state.engine,
            AuditEntry(
                at=datetime.now(UTC),
                request_id=request.headers.get("idempotency-key", "")[:128] or "-",
                case_id=str(case_id)[:160],
                actor="anonymous",
                role="",
                action="read" if request.method == "GET" else "?",
                accepted=False,
                status_code=401,
                reason=reason,
            ),
        )
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


# The API's tokens, as the OpenAPI document declares them (`Authorization: Bearer <token>`).
# No auto error: a missing token is refused below, in the audit log and with our own body.
bearer = HTTPBearer(
    scheme_name="apiToken", description="an API token (`REDRESS_API_TOKENS`)", auto_error=False
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def plausible_token(token: str) -> bool:
    """A token any of ours could be: printable ASCII. Anything else (a `pt_…` pasted with
    the ellipsis, control characters) is an unknown token, never an error."""
    return 0 < len(token) <= 4096 and token.isascii() and token.isprintable()


def get_principal(state: State, request: Request, credentials: Bearer) -> Principal:
    if credentials is None:
        raise _refuse_unauthenticated(state, request, "missing bearer token")
    principal = principal_for_token(state.settings, credentials.credentials)
    if principal is None:
        raise _refuse_unauthenticated(state, request, "unknown token")
    return principal


def token_digest(token: str) -> str | None:
    """`sha256:<hex>` of a plausible token (stripped), else None."""
    token = token.strip()
    if not plausible_token(token):
        return None
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def principal_for_digest(settings: Settings, digest: str) -> Principal | None:
    """The principal a token's hash stands for (the API's bearer tokens and the console's
    sessions, which hold the hash, never the token), or None for an unknown one."""
    grant = None
    # Compare against every stored hash in constant time; never short-circuit on a hit.
    for stored, stored_grant in settings.api_tokens.items():
        if hmac.compare_digest(stored, digest):
            grant = stored_grant
    if grant is None:
        return None
    return Principal(
        actor=f"{grant.role}-{digest[7:15]}",
        role=grant.role,
        merchants=grant.merchants,
        name=grant.name,
    )


def principal_for_token(settings: Settings, token: str) -> Principal | None:
    digest = token_digest(token)
    return None if digest is None else principal_for_digest(settings, digest)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_viewer(state: State, request: Request, credentials: Bearer) -> Principal:
    """Who may read decoded payloads: an API token holder, or a Web UI user whose OIDC
    access token verifies (when `REDRESS_OIDC_JWKS_URL` is set)."""
    settings = state.settings
    if credentials is not None and settings.oidc_jwks_url:
        token = credentials.credentials.strip()
        if token.count(".") == 2 and plausible_token(token):  # a JWT, not an opaque token
            import jwt

            from redress.api.oidc import verifier_for

            verifier = verifier_for(
                settings.oidc_jwks_url, settings.oidc_issuer, settings.oidc_audience
            )
            try:
                subject = verifier.subject(token)
            except jwt.InvalidTokenError as err:
                raise HTTPException(
                    401, f"invalid sign-in token: {err}", headers={"WWW-Authenticate": "Bearer"}
                ) from err
            return Principal(actor=f"oidc:{subject}"[:128], role="viewer")
    principal = get_principal(state, request, credentials)
    if principal.merchants is not None:
        # Payloads of every merchant's cases pass through the codec: unscoped tokens only.
        raise HTTPException(403, "a token scoped to merchants may not use the codec")
    return principal


CurrentViewer = Annotated[Principal, Depends(get_viewer)]
