"""Typed search attributes: what the Web UI and `temporal workflow list` filter on.

No personal data here: IDs of merchants and cases only, never users or contacts.
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey, SearchAttributePair
from temporalio.service import RPCError, RPCStatusCode

CASE_STATUS = SearchAttributeKey.for_keyword("RedressStatus")
MERCHANT = SearchAttributeKey.for_keyword("RedressMerchant")
KIND = SearchAttributeKey.for_keyword("RedressKind")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("RedressNextDeadline")
PENALIZED = SearchAttributeKey.for_bool("RedressPenalized")
POINTS = SearchAttributeKey.for_int("RedressPoints")
# Set by some kinds only: each kind's registry entry lists the ones it sets.
PRIORITY = SearchAttributeKey.for_keyword("RedressPriority")  # urgent | regular
ESCALATED = SearchAttributeKey.for_bool("RedressEscalated")  # waiting on a supervisor

# Every case sets these (the kernel and its penalty book).
SHARED: list[SearchAttributeKey[Any]] = [
    CASE_STATUS,
    MERCHANT,
    KIND,
    NEXT_DEADLINE,
    PENALIZED,
    POINTS,
]


def all_keys() -> list[SearchAttributeKey[Any]]:
    """The shared attributes and every registered kind's own, each once."""
    from redress.kinds import KINDS  # the registry; its kinds' modules import this one

    keys = list(SHARED)
    for kind in KINDS.values():
        keys += [key for key in kind.search_attributes if key not in keys]
    return keys


def __getattr__(name: str) -> Any:
    if name == "ALL":  # `ALL`: all_keys(), read when asked (the registry is loaded then)
        return all_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def priority_pairs(priority: str) -> list[SearchAttributePair[Any]]:
    """A new case's priority, not (yet) escalated."""
    return [SearchAttributePair(PRIORITY, priority), SearchAttributePair(ESCALATED, False)]


_INDEXED = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


# The dev server re-reads the attribute definitions from its database on every use, so that
# attributes added while it runs show at once: three database reads per workflow start with
# attributes (one without), on the same SQLite file as every write. Ours are all registered
# by the flags at start-up, so its cache can stay.
CACHED_DEFINITIONS = (
    "--dynamic-config-value",
    "system.forceSearchAttributesCacheRefreshOnRead=false",
)


def dev_server_flags() -> list[str]:
    """`--search-attribute` flags for `temporal server start-dev`, and the cache setting."""
    names = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "INT": "Int"}
    return [
        *(
            arg
            for key in all_keys()
            for arg in ("--search-attribute", f"{key.name}={names[key.indexed_value_type.name]}")
        ),
        *CACHED_DEFINITIONS,
    ]


async def ensure_registered(client: Client) -> None:
    """Register missing attributes on the client's namespace (a cluster started elsewhere)."""
    wanted = {key.name: _INDEXED[key.indexed_value_type.name] for key in all_keys()}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {k: v for k, v in wanted.items() if k not in existing.custom_attributes}
    except RPCError as err:
        # The time-skipping test server can add attributes but not list them.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = wanted
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except RPCError as err:
            if err.status != RPCStatusCode.ALREADY_EXISTS:
                raise
