"""REDRESS_API_TOKENS: roles, merchant scopes, hashed tokens."""

from __future__ import annotations

import hashlib

import pytest

from redress.config import Grant, hash_token, parse_tokens


@pytest.mark.rule("C4")
def test_tokens_with_and_without_a_merchant_scope() -> None:
    tokens = parse_tokens("t1:agent, t2:supervisor:M1+M:2:x ,t3:platform")
    assert tokens[hash_token("t1")] == Grant("agent")
    # Only the first two colons split: the rest is the merchant list, colons and all.
    assert tokens[hash_token("t2")] == Grant("supervisor", frozenset({"M1", "M:2:x"}))
    assert tokens[hash_token("t3")].scope == "*"
    assert tokens[hash_token("t2")].scope == "M1+M:2:x"


def test_hashed_tokens_take_a_scope_too() -> None:
    digest = hashlib.sha256(b"secret").hexdigest()
    tokens = parse_tokens(f"sha256:{digest}:agent:M7")
    assert tokens == {f"sha256:{digest}": Grant("agent", frozenset({"M7"}))}
    grant = tokens[hash_token("secret")]
    assert grant.sees("M7") and not grant.sees("M8")


@pytest.mark.parametrize("bad", ["t1", "t1:owner", ":agent", "t1:agent:", "t1:agent:+"])
def test_malformed_entries_are_refused_without_echoing_the_token(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_tokens(f"ok:agent,{bad}")
    assert str(info.value).startswith("REDRESS_API_TOKENS entry 2 ")
    assert "t1" not in str(info.value)
