"""Words for a payment failure's codes on the console (code → {"en", "zh-CN"}): its name,
statuses, outcomes, deadlines and timeline entries."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "payment_failure": {"en": "Payment failure", "zh-CN": "支付失败"},
    # statuses
    "reconciling": {"en": "Reconciling", "zh-CN": "对账中"},
    "awaiting_retry": {"en": "Awaiting retry", "zh-CN": "待重新支付"},
    # outcomes
    "recovered": {"en": "Recovered", "zh-CN": "已挽回"},
    "refunded": {"en": "Refunded", "zh-CN": "已退款"},
    "abandoned": {"en": "Abandoned", "zh-CN": "已放弃"},
    "resolved": {"en": "Resolved", "zh-CN": "已解决"},
    # deadlines
    "reconcile_by": {"en": "Reconcile by", "zh-CN": "对账截止"},
    "retry_by": {"en": "Retry by", "zh-CN": "重新支付截止"},
    "check": {"en": "Next check", "zh-CN": "下次查询"},
    "late_capture_window": {"en": "Late capture window", "zh-CN": "迟到扣款窗口"},
    # timeline
    "reconciled": {"en": "Reconciled", "zh-CN": "已对账"},
    "reconciliation_recorded": {"en": "Reconciliation recorded", "zh-CN": "已记录对账结果"},
    "authorization_recorded": {"en": "Authorization recorded", "zh-CN": "已记录授权"},
    "payment_succeeded": {"en": "Payment succeeded", "zh-CN": "支付成功"},
    "captured": {"en": "Captured", "zh-CN": "渠道已扣款"},
    "capture_repeated": {"en": "Capture repeated", "zh-CN": "重复扣款"},
    "channel_unknown": {"en": "Channel state unknown", "zh-CN": "渠道状态未知"},
    "unknown_return_code": {"en": "Unknown return code", "zh-CN": "未知返回码"},
}
