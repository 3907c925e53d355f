"""Render per-locale plain-text notices from ``templates/{kind}/{locale}/{name}.txt.j2``.

Each template defines two blocks, ``subject`` and ``body``. One sandboxed Jinja
environment is shared per process so every template compiles exactly once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
LOCALES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"


class UnknownTemplate(ValueError):
    """No template with the requested name exists for the locale."""


class RenderedNotice(pydantic.BaseModel):
    template: str
    locale: str
    subject: str
    body: str


def resolve_locale(locale: str | None) -> str:
    """Map a requested locale onto a supported one ("en*" -> en, anything else -> zh-CN)."""
    if locale in LOCALES:
        return locale
    if locale and locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def money(amount: Decimal | str | int, currency: str) -> str:
    """``money("123.4", "CNY")`` -> ``"123.40 CNY"``."""
    return f"{format(Decimal(amount), '.2f')} {currency}"


def when(value: datetime | str) -> str:
    """Format an aware datetime (or ISO string) as ``2024-05-01 18:00 UTC+08:00``.

    The datetime's own offset is kept; naive values are rejected as ambiguous.
    """
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    offset = dt.utcoffset()
    if offset is None:
        raise ValueError(f"notice datetime must be timezone-aware: {value!r}")
    sign = "-" if offset.total_seconds() < 0 else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{dt:%Y-%m-%d %H:%M} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class NoticeRenderer:
    """Renders notices; build once and reuse (see :func:`get_renderer`)."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text notices, not HTML
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # compiled templates live for the whole process
            cache_size=1000,
        )
        self.env.filters["money"] = money
        self.env.filters["when"] = when

    def _template(self, kind: str, template: str, locale: str) -> Template:
        try:
            return self.env.get_template(f"{kind}/{locale}/{template}.txt.j2")
        except TemplateNotFound:
            raise UnknownTemplate(
                f"unknown notice template {template!r} of {kind} for locale {locale!r}"
            ) from None

    def render(
        self,
        template: str,
        locale: str,
        context: Mapping[str, Any],
        kind: str = "merchant_complaint",
    ) -> RenderedNotice:
        """Render the ``subject`` and ``body`` blocks of ``template`` in ``locale``.

        Raises :class:`UnknownTemplate` for an unknown name and lets
        ``jinja2.UndefinedError`` propagate for a missing context variable.
        """
        resolved = resolve_locale(locale)
        tmpl = self._template(kind, template, resolved)
        parts: dict[str, str] = {}
        for block in ("subject", "body"):
            if block not in tmpl.blocks:
                raise ValueError(f"template {tmpl.name!r} has no {block!r} block")
            # fresh context per block so block-local {% set %} cannot leak
            ctx = tmpl.new_context(dict(context))
            parts[block] = "".join(tmpl.blocks[block](ctx)).strip()
        return RenderedNotice(template=template, locale=resolved, **parts)


@functools.lru_cache(maxsize=1)
def get_renderer() -> NoticeRenderer:
    """Process-wide renderer singleton."""
    return NoticeRenderer()
