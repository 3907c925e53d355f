"""Progress tokens (P10): the user's own key to `GET /progress/{case_id}`.

A token is an HMAC of the case ID under the progress key, so it needs no storage, is the
same however often the intake answers for the case (a duplicate, a linked complaint), and
opens that one case only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def progress_token(key: bytes, case_id: str) -> str:
    mac = hmac.new(key, f"progress:{case_id}".encode(), hashlib.sha256).digest()
    return "pt_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_opens(key: bytes | None, case_id: str, token: str) -> bool:
    # Bytes, not str: compare_digest refuses a str holding non-ASCII characters.
    given = token.encode("utf-8", "replace")
    return key is not None and hmac.compare_digest(progress_token(key, case_id).encode(), given)
