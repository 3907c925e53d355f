"""Words for a merchant complaint's codes on the console (code → {"en", "zh-CN"}):
its name, statuses, outcomes, deadlines, categories and timeline entries."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "merchant_complaint": {"en": "Merchant complaint", "zh-CN": "商户投诉"},
    # statuses
    "awaiting_response": {"en": "Awaiting response", "zh-CN": "待商户处理"},
    "overdue": {"en": "Overdue", "zh-CN": "已超时"},
    "awaiting_outcome": {"en": "Awaiting outcome", "zh-CN": "待确认结果"},
    "platform_review": {"en": "Platform review", "zh-CN": "平台审核中"},
    "pending_refund": {"en": "Refund due", "zh-CN": "待退款"},
    # outcomes
    "unhandled": {"en": "Not handled", "zh-CN": "未处理"},
    "refund_unpaid": {"en": "Refund not paid", "zh-CN": "未按期退款"},
    "refund_not_due": {"en": "No refund due", "zh-CN": "无需退款"},
    "refunded": {"en": "Refunded", "zh-CN": "已退款"},
    "resolved": {"en": "Resolved", "zh-CN": "已解决"},
    "accepted": {"en": "Accepted", "zh-CN": "已接受"},
    # deadlines
    "respond_by": {"en": "Respond by", "zh-CN": "处理截止"},
    "outcome_by": {"en": "Outcome by", "zh-CN": "结果确认截止"},
    "refund_by": {"en": "Refund by", "zh-CN": "退款截止"},
    "late_until": {"en": "Late handling until", "zh-CN": "补救处理截止"},
    "reminder": {"en": "Reminder", "zh-CN": "提醒"},
    # categories
    "not_received": {"en": "Not received", "zh-CN": "未收到货"},
    "refund_refused": {"en": "Refund refused", "zh-CN": "拒绝退款"},
    # penalty reasons
    "response_overdue": {"en": "Response overdue", "zh-CN": "逾期未处理"},
    "refund_overdue": {"en": "Refund overdue", "zh-CN": "逾期未退款"},
    # timeline
    "refund": {"en": "Refund", "zh-CN": "退款"},
    "refund_failed": {"en": "Refund failed", "zh-CN": "退款失败"},
    "platform_verdict": {"en": "Platform verdict", "zh-CN": "平台裁决"},
    "message": {"en": "Message", "zh-CN": "消息"},
    "continued": {"en": "Continued", "zh-CN": "续办"},
}
