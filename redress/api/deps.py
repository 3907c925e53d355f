"""Shared state of the API process and the request dependencies built on it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.engine import Engine
from temporalio.client import Client

from redress.api.replay import ReplayGuard
from redress.api.signing import WebhookSigner
from redress.config import Settings
from redress.policy import Policy


@dataclass
class AppState:
    settings: Settings
    client: Client
    engine: Engine
    policy: Policy
    signer: WebhookSigner | None
    replays: ReplayGuard = field(default_factory=ReplayGuard)


@dataclass(frozen=True)
class Principal:
    actor: str
    role: str


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.redress
    return state


State = Annotated[AppState, Depends(get_state)]


def get_principal(state: State, authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    token = authorization[7:].strip()
    digest = "sha256:" + hashlib.sha256(token.encode()).hexdigest()
    role = None
    # Compare against every stored hash in constant time; never short-circuit on a hit.
    for stored, stored_role in state.settings.api_tokens.items():
        if hmac.compare_digest(stored, digest):
            role = stored_role
    if role is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return Principal(actor=f"{role}-{digest[7:15]}", role=role)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
