"""Words for a platform complaint's codes on the console (code → {"en", "zh-CN"}):
its name, statuses, outcomes, deadlines, categories and timeline entries."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "platform_complaint": {"en": "Platform complaint", "zh-CN": "平台投诉"},
    # statuses
    "awaiting_info": {"en": "Awaiting information", "zh-CN": "待补充材料"},
    "awaiting_acceptance": {"en": "Awaiting acceptance", "zh-CN": "待受理"},
    "awaiting_verification": {"en": "Awaiting verification", "zh-CN": "待身份核实"},
    "verification_hold": {"en": "Verification on hold", "zh-CN": "核实挂起"},
    "investigating": {"en": "Investigating", "zh-CN": "调查中"},
    "awaiting_confirmation": {"en": "Awaiting confirmation", "zh-CN": "待用户确认"},
    # outcomes
    "upheld": {"en": "Upheld", "zh-CN": "投诉成立"},
    "not_upheld": {"en": "Not upheld", "zh-CN": "投诉不成立"},
    "rejected": {"en": "Rejected", "zh-CN": "不予受理"},
    # deadlines
    "supplement_by": {"en": "Supplement by", "zh-CN": "补充材料截止"},
    "accept_by": {"en": "Accept by", "zh-CN": "受理截止"},
    "verify_by": {"en": "Verify by", "zh-CN": "核实截止"},
    "investigate_by": {"en": "Investigate by", "zh-CN": "调查截止"},
    "target_by": {"en": "Target date", "zh-CN": "目标办结时间"},
    "confirm_by": {"en": "Confirm by", "zh-CN": "确认截止"},
    "reopen_window": {"en": "Reopen window", "zh-CN": "可重新打开期限"},
    # categories
    "charged_twice": {"en": "Charged twice", "zh-CN": "重复扣款"},
    # timeline
    "accepted": {"en": "Accepted", "zh-CN": "已受理"},
    "supplemented": {"en": "Supplemented", "zh-CN": "已补充材料"},
    "supplement_refused": {"en": "Supplement refused", "zh-CN": "补充材料被拒"},
    "verification_requested": {"en": "Verification requested", "zh-CN": "已请求核实"},
    "verification_recorded": {"en": "Verification recorded", "zh-CN": "已记录核实结果"},
    "investigation_target_passed": {"en": "Target date passed", "zh-CN": "已过目标办结时间"},
    "hold_released": {"en": "Hold released", "zh-CN": "已解除挂起"},
    "held": {"en": "Held", "zh-CN": "已挂起"},
    "counterparty_contacted": {"en": "Counterparty contacted", "zh-CN": "已联系被投诉方"},
    "complaint_linked": {"en": "Complaint linked", "zh-CN": "已关联投诉"},
    "confirmed": {"en": "Confirmed", "zh-CN": "用户已确认"},
    "objected": {"en": "Objected", "zh-CN": "用户提出异议"},
    "auto_accepted": {"en": "Accepted automatically", "zh-CN": "自动受理"},
}
