"""Words for a dispute's codes on the console (code → {"en", "zh-CN"}): its name,
statuses, outcomes, deadlines, reason categories and timeline entries."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "dispute": {"en": "Dispute", "zh-CN": "争议/拒付"},
    # statuses
    "needs_response": {"en": "Needs response", "zh-CN": "待应诉"},
    "submitted": {"en": "Submitted", "zh-CN": "已提交抗辩"},
    "not_answerable": {"en": "Not answerable", "zh-CN": "无法应诉"},
    # outcomes
    "won": {"en": "Won", "zh-CN": "胜诉"},
    "lost": {"en": "Lost", "zh-CN": "败诉"},
    "accepted": {"en": "Accepted", "zh-CN": "已接受"},
    "expired": {"en": "Expired", "zh-CN": "已过期"},
    "withdrawn": {"en": "Withdrawn", "zh-CN": "已撤回"},
    # deadlines
    "submit_by": {"en": "Submit by", "zh-CN": "提交截止"},
    # reason categories
    "fraud": {"en": "Fraud", "zh-CN": "欺诈"},
    "authorization": {"en": "Authorization", "zh-CN": "授权问题"},
    "processing_error": {"en": "Processing error", "zh-CN": "处理错误"},
    "product_not_received": {"en": "Product not received", "zh-CN": "未收到商品"},
    "subscription_canceled": {"en": "Subscription canceled", "zh-CN": "订阅已取消"},
    "duplicate": {"en": "Duplicate", "zh-CN": "重复扣款"},
    "consumer_dispute": {"en": "Consumer dispute", "zh-CN": "消费纠纷"},
    "check_returned": {"en": "Check returned", "zh-CN": "支票退回"},
    "noncompliant": {"en": "Noncompliant", "zh-CN": "违反卡组织规则"},
    "general": {"en": "General", "zh-CN": "一般"},
    # timeline
    "under_review": {"en": "Under review", "zh-CN": "审理中"},
    "provider_outcome": {"en": "Provider's outcome", "zh-CN": "渠道裁决"},
    "provider_alert": {"en": "Provider alert", "zh-CN": "渠道预警"},
    "new_round": {"en": "New round", "zh-CN": "新一轮"},
    "dispute_accepted": {"en": "Dispute accepted", "zh-CN": "已接受争议"},
}
