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


def test_a_token_may_carry_a_display_name() -> None:
    digest = hashlib.sha256(b"h").hexdigest()
    tokens = parse_tokens(
        "tok1:agent:m1+m2:name=Li Wei, tok2:agent:name=  Wang  Fang ,"
        f"sha256:{digest}:supervisor:M:1:name=李伟, tok3:agent:m1"
    )
    assert tokens[hash_token("tok1")] == Grant("agent", frozenset({"m1", "m2"}), "Li Wei")
    assert tokens[hash_token("tok2")] == Grant("agent", None, "Wang Fang")
    assert tokens[f"sha256:{digest}"] == Grant("supervisor", frozenset({"M:1"}), "李伟")
    assert tokens[hash_token("tok3")].name is None


@pytest.mark.parametrize(
    "bad",
    ["t1:agent:name=", "t1:agent:m1:name=  ", "t1:agent:name=" + "x" * 81, "t1:agent:name=a\x07b"],
)
def test_a_display_name_is_bounded_and_printable(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_tokens(f"ok:agent,{bad}")
    assert str(info.value).startswith("REDRESS_API_TOKENS entry 2: name= takes 1 to 80")
    assert "t1" not in str(info.value)
