"""One settings object, read from the environment (REDRESS_*)."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    policy: str = "default"
    data_dir: Path = Path("var")
    database_url: str = ""
    webhook_secret: str = ""
    # Key of the users' progress tokens (P10); default: derived from the webhook secret.
    progress_secret: str = ""
    # The simulated identity verifier's answer: manual (the desk records it), pass, fail.
    simulated_verifier: str = "manual"
    # Stripe: the endpoint's signing secret (whsec_…), and the merchant of events that name
    # none (no Connect `account`, no `metadata.merchant_id`).
    stripe_webhook_secret: str = ""
    stripe_merchant_id: str = ""
    # Antom: its public key (PEM, or the Base64 body), our Client-Id, the path Antom signs
    # (the notification URL's path), and the merchant its notifications belong to.
    antom_public_key: str = ""
    antom_client_id: str = ""
    antom_notify_path: str = "/webhooks/antom"
    antom_merchant_id: str = ""
    # "sha256:<hex>" of a token → its role and merchant scope
    api_tokens: dict[str, Grant] = field(default_factory=dict)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_address: str = ""
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    ui_port: int = 8233
    task_queue: str = "redress"
    log_level: str = "INFO"
    # Run workflow code in the SDK's sandbox (catches non-deterministic calls at run time).
    workflow_sandbox: bool = True
    # `key_id:base64key,…`; the first key encrypts payloads, all of them decrypt (see codec.py)
    payload_keys: str = ""
    # origin(s) of the Temporal Web UI allowed to call /codec; empty: the local dev server's UI
    codec_cors_origin: str = ""
    # Web UI sign-in (OIDC): tokens the UI passes to /codec are verified against this JWKS.
    oidc_jwks_url: str = ""
    oidc_issuer: str = ""
    oidc_audience: str = ""
    # Key of the console's session cookies; default: derived from the webhook secret.
    console_secret: str = ""
    # Where the Temporal Web UI is (the console links each case's workflow there).
    ui_url: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        data_dir = Path(e.get("REDRESS_DATA_DIR", "var"))
        return cls(
            policy=e.get("REDRESS_POLICY", "default"),
            data_dir=data_dir,
            database_url=e.get("REDRESS_DATABASE_URL", ""),
            webhook_secret=e.get("REDRESS_WEBHOOK_SECRET", ""),
            progress_secret=e.get("REDRESS_PROGRESS_SECRET", ""),
            stripe_webhook_secret=e.get("REDRESS_STRIPE_WEBHOOK_SECRET", ""),
            stripe_merchant_id=e.get("REDRESS_STRIPE_MERCHANT_ID", ""),
            antom_public_key=e.get("REDRESS_ANTOM_PUBLIC_KEY", ""),
            antom_client_id=e.get("REDRESS_ANTOM_CLIENT_ID", ""),
            antom_notify_path=e.get("REDRESS_ANTOM_NOTIFY_PATH", "/webhooks/antom"),
            antom_merchant_id=e.get("REDRESS_ANTOM_MERCHANT_ID", ""),
            simulated_verifier=_choice(
                "REDRESS_SIMULATED_VERIFIER",
                e.get("REDRESS_SIMULATED_VERIFIER", "manual"),
                ("manual", "pass", "fail"),
            ),
            api_tokens=parse_tokens(e.get("REDRESS_API_TOKENS", "")),
            api_host=e.get("REDRESS_API_HOST", "127.0.0.1"),
            api_port=int(e.get("REDRESS_API_PORT", "8000")),
            temporal_address=e.get("REDRESS_TEMPORAL_ADDRESS", ""),
            temporal_namespace=e.get("REDRESS_TEMPORAL_NAMESPACE", "default"),
            temporal_port=int(e.get("REDRESS_TEMPORAL_PORT", "7233")),
            ui_port=int(e.get("REDRESS_UI_PORT", "8233")),
            task_queue=e.get("REDRESS_TASK_QUEUE", "redress"),
            log_level=e.get("REDRESS_LOG_LEVEL", "INFO"),
            workflow_sandbox=_flag(e.get("REDRESS_WORKFLOW_SANDBOX", "on")),
            payload_keys=e.get("REDRESS_PAYLOAD_KEYS", ""),
            codec_cors_origin=e.get("REDRESS_CODEC_CORS_ORIGIN", ""),
            oidc_jwks_url=e.get("REDRESS_OIDC_JWKS_URL", ""),
            oidc_issuer=e.get("REDRESS_OIDC_ISSUER", ""),
            oidc_audience=e.get("REDRESS_OIDC_AUDIENCE", ""),
            console_secret=e.get("REDRESS_CONSOLE_SECRET", ""),
            ui_url=e.get("REDRESS_UI_URL", ""),
        )

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'redress.db').resolve()}"

    @property
    def progress_key(self) -> bytes | None:
        """The key progress tokens are made with, or None when no secret is configured."""
        if self.progress_secret:
            return self.progress_secret.encode()
        if self.webhook_secret:
            return hmac.new(
                self.webhook_secret.encode(), b"redress progress tokens", "sha256"
            ).digest()
        return None

    @property
    def console_key(self) -> bytes | None:
        """The key console sessions are signed with, or None when no secret is configured."""
        if self.console_secret:
            return self.console_secret.encode()
        if self.webhook_secret:
            return hmac.new(
                self.webhook_secret.encode(), b"redress console sessions", "sha256"
            ).digest()
        return None

    @property
    def web_ui(self) -> str:
        """The Temporal Web UI's base address (the dev server's UI unless configured)."""
        return (self.ui_url or f"http://127.0.0.1:{self.ui_port}").rstrip("/")

    @property
    def address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def codec_origins(self) -> list[str]:
        """Web UI origins allowed to call the codec endpoint (comma-separated setting)."""
        configured = [o.strip().rstrip("/") for o in self.codec_cors_origin.split(",")]
        return [o for o in configured if o] or [f"http://127.0.0.1:{self.ui_port}"]


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return value


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "on", "true", "yes"):
        return True
    if value in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"expected on/off, got {raw!r}")


@dataclass(frozen=True)
class Grant:
    """What a token may do: its role, and the merchants whose cases it sees (None: all)."""

    role: str
    merchants: frozenset[str] | None = None
    # The person (or desk) the token belongs to, as timelines and the audit log show it.
    name: str | None = None

    def sees(self, merchant_id: str) -> bool:
        return self.merchants is None or merchant_id in self.merchants

    @property
    def scope(self) -> str:
        """`*` for every merchant, else the merchants joined by `+` (as configured)."""
        return "*" if self.merchants is None else "+".join(sorted(self.merchants))


MAX_NAME = 80  # a display name's characters


def _split_name(rest: str, n: int) -> tuple[str, str | None]:
    """`merchants[:name=Display Name]` or `name=Display Name` → (merchants, name)."""
    if rest.startswith("name="):
        merchants, raw = "", rest[5:]
    elif ":name=" in rest:
        merchants, _, raw = rest.rpartition(":name=")
    else:
        return rest, None
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ValueError(
            f"REDRESS_API_TOKENS entry {n}: name= takes 1 to {MAX_NAME} printable characters"
        )
    return merchants, name


def parse_tokens(raw: str) -> dict[str, Grant]:
    """`token:role[:merchant+merchant…][:name=Display Name],…`; a token may be given hashed
    as `sha256:<hex>:role[…]`. Only the first two colons split: merchant IDs may hold
    colons, tokens may not. The display name is the part after the last `:name=` (or the
    whole third part when it starts with `name=`): 1 to 80 printable characters, no comma."""
    tokens: dict[str, Grant] = {}
    entries = [part.strip() for part in raw.split(",")]
    for n, item in enumerate(filter(None, entries), start=1):
        hashed = item.startswith("sha256:")
        parts = item.removeprefix("sha256:").split(":", 2)
        if len(parts) < 2 or not parts[0] or parts[1] not in ("agent", "supervisor", "platform"):
            # The entry's number, never its text: that would put a token in a log.
            raise ValueError(f"REDRESS_API_TOKENS entry {n} is not token:role[:merchants]")
        merchants = None
        name = None
        if len(parts) == 3:
            rest, name = _split_name(parts[2], n)
            if rest or name is None:
                merchants = frozenset(m for m in rest.split("+") if m)
                if not merchants:
                    raise ValueError(f"REDRESS_API_TOKENS entry {n} names no merchant")
        key = "sha256:" + parts[0] if hashed else hash_token(parts[0])
        tokens[key] = Grant(role=parts[1], merchants=merchants, name=name)
    return tokens


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()
