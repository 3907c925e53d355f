"""Sending one notice from an activity: once per idempotency key, whoever sends it (a
case's effects, the monitoring and payment-failure alerts, the deadline watchdog)."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from redress.models import NoticeReceipt, NoticeRequest
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import NoticeRenderer, UnknownTemplate


def send_once(
    channel: NoticeChannel, renderer: NoticeRenderer, request: NoticeRequest
) -> tuple[NoticeReceipt, bool]:
    """Render and deliver `request` unless its key was sent already: the receipt, and
    whether this call delivered it. An unknown template is `InvalidNotice`, not retried:
    no retry makes a template appear."""
    sent = channel.already_sent(request.idempotency_key)
    if sent is not None:
        return sent, False
    try:
        notice = renderer.render(
            request.template, request.locale, request.context, kind=request.kind
        )
    except UnknownTemplate as err:
        raise ApplicationError(str(err), type="InvalidNotice", non_retryable=True) from err
    return channel.deliver(request, notice), True
