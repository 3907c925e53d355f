"""Connecting to Temporal the same way everywhere (pydantic payloads, encrypted when
REDRESS_PAYLOAD_KEYS is set)."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from redress.codec import codec_for
from redress.config import Settings


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads; with payload keys configured, encrypted by the AES-GCM codec."""
    codec = codec_for(settings.payload_keys)
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
