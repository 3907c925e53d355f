"""Connecting to Temporal the same way everywhere (pydantic payloads)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from redress.config import Settings


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
