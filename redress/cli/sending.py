"""`send-sample` and `send-event`: a signed event to the running stack's webhooks, signed as
each provider signs (generic: Standard Webhooks; stripe: `Stripe-Signature`; antom: RSA)."""

from __future__ import annotations

import base64
import inspect
import json
import sys
import time
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

import typer

from redress.cli.common import (
    CliError,
    api_url,
    err,
    load_active_policy,
    local_env,
    out,
    print_json,
    refusal,
    request,
    token,
)
from redress.config import Settings
from redress.policy import parse_duration

Provider = Literal["generic", "stripe", "antom"]
PROVIDERS: tuple[str, ...] = ("generic", "stripe", "antom")
ANTOM_KEY_ENV = "REDRESS_ANTOM_PRIVATE_KEY"

PolicyOption = Annotated[
    str | None,
    typer.Option(
        "--policy",
        help="a bundled policy (default, fast) or a TOML path (default: REDRESS_POLICY, else "
        "the policy the running stack records in REDRESS_DATA_DIR, else default)",
        show_default=False,
    ),
]
PrintOption = Annotated[
    bool, typer.Option("--print", help="print the signed body sent (JSON), to reuse or edit")
]


def kind_names() -> str:
    from redress.kinds import KINDS

    return " | ".join(KINDS)


SIGNING_ENV = (
    "Reads REDRESS_API_URL (default http://127.0.0.1:$REDRESS_API_PORT), and the provider's "
    "secret: REDRESS_WEBHOOK_SECRET (generic), REDRESS_STRIPE_WEBHOOK_SECRET (stripe), "
    f"{ANTOM_KEY_ENV} and REDRESS_ANTOM_CLIENT_ID (antom); without them, the local secrets "
    "`redress up` keeps in REDRESS_DATA_DIR (default ./var)."
)


def sign(
    provider: str, body: bytes, found: Settings, env: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """The webhook path and the signed headers of `body` as `provider` sends it."""
    headers = {"content-type": "application/json"}
    if provider == "generic":
        from redress.api.signing import WebhookSigner

        signer = WebhookSigner(env["REDRESS_WEBHOOK_SECRET"])
        return "/webhooks/generic", {**headers, **signer.headers(f"msg_{uuid.uuid4().hex}", body)}
    if provider == "stripe":
        secret = env.get("REDRESS_STRIPE_WEBHOOK_SECRET", "")
        return "/webhooks/stripe", {**headers, "Stripe-Signature": stripe_header(body, secret)}
    if provider == "antom":
        return found.antom_notify_path, {**headers, **antom_headers(body, found, env)}
    raise CliError(f"unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")


def stripe_header(body: bytes, secret: str) -> str:
    """`Stripe-Signature: t=…,v1=…`, by the `stripe` package where it is installed."""
    try:
        import stripe
    except ImportError:  # the same scheme: HMAC-SHA256 of "{t}.{body}" with the secret
        import hashlib
        import hmac

        at = int(time.time())
        mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256)
        return f"t={at},v1={mac.hexdigest()}"
    header: str = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    return header


def antom_headers(body: bytes, found: Settings, env: dict[str, str]) -> dict[str, str]:
    """Antom's `client-id`, `request-time` and RSA256 `signature` over
    "POST {path}\\n{client-id}.{request-time}.{body}" with the private key from the env."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    raw = env.get(ANTOM_KEY_ENV, "").strip()
    if not raw:
        raise CliError(f"{ANTOM_KEY_ENV} is not set (Antom's RSA private key, PEM or a file)")
    if not raw.startswith("-----") and Path(raw).is_file():
        raw = Path(raw).read_text().strip()
    try:
        if raw.startswith("-----"):
            key = serialization.load_pem_private_key(raw.encode(), password=None)
        else:  # the Base64 DER Antom's dashboard shows
            key = serialization.load_der_private_key(base64.b64decode(raw), password=None)
    except ValueError as error:
        raise CliError(f"{ANTOM_KEY_ENV}: not an RSA private key ({error})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CliError(f"{ANTOM_KEY_ENV}: not an RSA private key")
    client_id = env.get("REDRESS_ANTOM_CLIENT_ID") or found.antom_client_id or "SANDBOX"
    at = str(int(time.time() * 1000))
    content = f"POST {found.antom_notify_path}\n{client_id}.{at}.".encode() + body
    signature = key.sign(content, padding.PKCS1v15(), hashes.SHA256())
    encoded = quote(base64.b64encode(signature).decode(), safe="")
    return {
        "client-id": client_id,
        "request-time": at,
        "signature": f"algorithm=RSA256,keyVersion=1,signature={encoded}",
    }


def post(provider: str, event: Any, show: bool = False) -> int:
    """Sign and post `event`; print the answer (status and body); with `show`, the body
    sent on stdout and the answer on stderr. Non-2xx: exit 1."""
    import httpx

    found, env = local_env()
    body = json.dumps(event).encode()
    path, headers = sign(provider, body, found, env)
    url = f"{api_url(found)}{path}"
    if show:
        print_json(event)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach the API at {url}: {error} (is the stack up?)") from None
    if response.status_code >= 300:
        raise CliError(f"{response.status_code} {refusal(response)}")
    # With the body on stdout (to reuse), the answer goes to stderr.
    (err if show else out).print(
        f"{response.status_code} {response.text}", markup=False, highlight=False
    )
    return 0


def send_event(
    body: Annotated[
        str | None,
        typer.Argument(
            help="the event as JSON, @FILE to read it from a file, or - for stdin "
            "(not with --verdict)",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        str, typer.Option(help="generic | stripe | antom: whose format and signature")
    ] = "generic",
    verdict: Annotated[
        str | None,
        typer.Option(
            help="won | lost: the provider's verdict on the case of --dispute, built in the "
            "provider's own shape (stripe: charge.dispute.closed; antom: DISPUTE_JUDGED)",
            show_default=False,
        ),
    ] = None,
    dispute_id: Annotated[
        str | None,
        typer.Option(
            "--dispute",
            help="with --verdict: the provider's dispute ID (dp_… for stripe) of an open case",
            show_default=False,
        ),
    ] = None,
    token_: Annotated[
        str | None,
        typer.Option("--token", help="with --verdict: an API token to read the case with"),
    ] = None,
    show: PrintOption = False,
) -> int:
    """Sign and post any event body, as its provider would (a user's supplement or
    objection; a provider's verdict, e.g. a Stripe `charge.dispute.closed` with status
    `won`). An event without its ID gets a fresh one.

    With --verdict won|lost --dispute ID (and --provider stripe or antom) the command
    builds the provider's complete verdict event itself from the case's facts (read over
    the API) and sends it; --print shows the body it sent."""
    if provider not in PROVIDERS:
        raise CliError(f"--provider: unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")
    if verdict is not None or dispute_id is not None:
        if body is not None:
            raise CliError("give either an event body or --verdict with --dispute, not both", 2)
        if verdict is None or dispute_id is None:
            raise CliError("--verdict and --dispute go together", 2)
        return post(provider, verdict_event(provider, verdict, dispute_id, token_), show)
    if body is None:
        raise CliError("give the event (JSON, @FILE or -), or --verdict with --dispute", 2)
    if body == "-":
        raw = sys.stdin.read()
    elif body.startswith("@"):
        try:
            raw = Path(body[1:]).read_text()
        except OSError as error:
            raise CliError(f"{body[1:]}: {error.strerror or error}") from None
    else:
        raw = body
    try:
        event = json.loads(raw)
    except ValueError as error:
        raise CliError(f"the event is not JSON: {error}", code=2) from None
    if isinstance(event, dict):
        if provider == "generic":
            event.setdefault("event_id", f"evt-{uuid.uuid4().hex[:16]}")
        elif provider == "stripe":
            event.setdefault("id", f"evt_{uuid.uuid4().hex[:24]}")
    return post(provider, event, show)


def verdict_event(provider: str, verdict: str, source_id: str, token_: str | None) -> Any:
    """The provider's verdict on the open case of its `source_id`, by the kind that takes
    the provider's verdicts, from the case's facts as the API shows them."""
    from redress.kinds import KINDS

    if verdict not in ("won", "lost"):
        raise CliError(f"--verdict: won or lost, not {verdict!r}", 2)
    found = [k for k in KINDS.values() if k.sample_verdict and provider in k.provider_events]
    if not found:
        raise CliError(f"--verdict: no case kind takes a verdict from {provider!r}", 2)
    kind = found[0]
    case_id = kind.case_id(provider, source_id)
    case = request("GET", f"/cases/{quote(case_id, safe='')}", token_=token(token_))
    assert kind.sample_verdict is not None
    try:
        return kind.sample_verdict(provider, source_id, verdict, case)
    except ValueError as error:
        raise CliError(f"--verdict: {error}", 2) from None


def sample_event(
    kind_name: str | None,
    source_id: str | None = None,
    locale: str = "zh-CN",
    merchant: str | None = None,
    amount: str | None = None,
    created_at: str | None = None,
    policy_ref: str | None = None,
    due_in: str | None = None,
    provider: str | None = None,
) -> tuple[str, dict[str, Any], str]:
    """A kind's sample event (its provider, its body, which policy's clocks it follows),
    on the active policy's clocks."""
    from redress.kinds import KINDS

    if kind_name is not None and kind_name not in KINDS:
        raise CliError(f"--kind: unknown kind {kind_name!r} (known: {', '.join(KINDS)})", 2)
    kind = KINDS[kind_name] if kind_name else next(iter(KINDS.values()))
    extra: dict[str, Any] = {}
    if merchant:
        extra["merchant_id"] = merchant
    if amount is not None:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise CliError(f"--amount: not a number: {amount!r}", 2) from None
        if value <= 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise CliError(f"--amount: a positive amount with at most 2 decimals: {amount}", 2)
        extra["amount"] = format(value, "f")
    if created_at is not None:
        extra["created_at"] = instant(created_at, "--created-at")
    if due_in is not None:
        if "due_in" not in inspect.signature(kind.sample).parameters:
            raise CliError(f"--due-in: a sample {kind.name} has no due time", 2)
        try:
            extra["due_in"] = parse_duration(due_in)
        except ValueError as error:
            raise CliError(f"--due-in: {error}", 2) from None
    if provider is not None and provider != kind.sample_provider:
        if "provider" not in inspect.signature(kind.sample).parameters:
            raise CliError(
                f"--provider: a sample {kind.name} comes from {kind.sample_provider} only", 2
            )
        extra["provider"] = provider
    policy, which = load_active_policy(policy_ref)
    source = source_id or f"C{uuid.uuid4().hex[:10]}"
    try:
        event = kind.sample(source, locale=locale, policy=policy, **extra)
    except ValueError as error:
        raise CliError(f"--due-in: {error}" if due_in else str(error), 2) from None
    return provider or kind.sample_provider, event, which


def instant(text: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"{name}: not an ISO 8601 instant: {text!r}", 2) from None
    if at.tzinfo is None:
        raise CliError(f"{name}: give the offset too, e.g. {text}+08:00 or {text}Z", 2)
    return at


def send_sample(
    kind: Annotated[
        str | None,
        typer.Option(help=f"the kind: {kind_names()} (default: the first)", show_default=False),
    ] = None,
    id_: Annotated[
        str | None, typer.Option("--id", help="the source's case ID (default: random)")
    ] = None,
    locale: Annotated[str, typer.Option(help="zh-CN | en: the user's language")] = "zh-CN",
    merchant: Annotated[str | None, typer.Option(help="the merchant (default M-DEMO)")] = None,
    amount: Annotated[str | None, typer.Option(help="the amount, e.g. 120.50")] = None,
    created_at: Annotated[
        str | None, typer.Option(help="ISO 8601 with offset (default: now)")
    ] = None,
    policy_: PolicyOption = None,
    show: PrintOption = False,
    due_in: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="a sample dispute due this far ahead, e.g. 10m (later than the policy's "
            "safety margin; default: past its margin and reminders)",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            help="whose event: a sample dispute from stripe (default) or antom (signed "
            "with the local Antom key `redress up` makes)",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Post a signed sample case event of a kind to the running API. Its clocks follow the
    active policy (--policy, else REDRESS_POLICY, else the one the running stack records,
    else default), and the command says which: a sample dispute is due after the policy's
    safety margin and reminders, so nothing is submitted at once. --print shows the body
    sent (to edit into a later event, e.g. the provider's verdict)."""
    if locale not in ("zh-CN", "en"):
        raise CliError(f"--locale: zh-CN or en, not {locale!r}", 2)
    provider, event, which = sample_event(
        kind, id_, locale, merchant, amount, created_at, policy_, due_in, provider
    )
    (err if show else out).print(f"clocks of {which}", markup=False, highlight=False)
    return post(provider, event, show)


send_sample.__doc__ = inspect.cleandoc(send_sample.__doc__ or "") + "\n\n" + SIGNING_ENV
send_event.__doc__ = inspect.cleandoc(send_event.__doc__ or "") + "\n\n" + SIGNING_ENV
