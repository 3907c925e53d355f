"""The console's two languages: chosen by the `redress_lang` cookie (the switch), else the
browser's Accept-Language, else English. Messages are keys; a missing one shows its key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import Request

LANGS = ("en", "zh-CN")
LANG_COOKIE = "redress_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"en": "redress console", "zh-CN": "redress 工作台"},
    "sign_in": {"en": "Sign in", "zh-CN": "登录"},
    "sign_out": {"en": "Sign out", "zh-CN": "退出"},
    "token": {"en": "API token", "zh-CN": "API 令牌"},
    "token_help": {
        "en": "Any token of REDRESS_API_TOKENS; the session keeps its hash only.",
        "zh-CN": "REDRESS_API_TOKENS 中的任一令牌；会话只保存其哈希。",
    },
    "unknown_token": {"en": "Unknown token.", "zh-CN": "令牌无效。"},
    "queue": {"en": "Queue", "zh-CN": "待办队列"},
    "overview": {"en": "Overview", "zh-CN": "概览"},
    "signed_in_as": {"en": "Signed in as", "zh-CN": "当前用户"},
    "all_merchants": {"en": "every merchant", "zh-CN": "全部商户"},
    "case": {"en": "Case", "zh-CN": "案件"},
    "kind": {"en": "Kind", "zh-CN": "类型"},
    "status": {"en": "Status", "zh-CN": "状态"},
    "outcome": {"en": "Outcome", "zh-CN": "结果"},
    "merchant": {"en": "Merchant", "zh-CN": "商户"},
    "amount": {"en": "Amount", "zh-CN": "金额"},
    "refunded": {"en": "Refunded", "zh-CN": "已退款"},
    "category": {"en": "Category", "zh-CN": "类别"},
    "priority": {"en": "Priority", "zh-CN": "优先级"},
    "penalized": {"en": "Penalized", "zh-CN": "已处罚"},
    "overdue": {"en": "Overdue", "zh-CN": "已超时"},
    "open": {"en": "Open", "zh-CN": "未结"},
    "created_at": {"en": "Created", "zh-CN": "创建时间"},
    "created_from": {"en": "Created from", "zh-CN": "创建起"},
    "created_to": {"en": "Created to", "zh-CN": "创建止"},
    "sort": {"en": "Sort", "zh-CN": "排序"},
    "next_deadline": {"en": "Next deadline", "zh-CN": "下一期限"},
    "time_left": {"en": "Time left", "zh-CN": "剩余时间"},
    "points": {"en": "Points", "zh-CN": "扣分"},
    "assignee": {"en": "Assignee", "zh-CN": "处理人"},
    "claim": {"en": "Claim", "zh-CN": "认领"},
    "release": {"en": "Release", "zh-CN": "释放"},
    "cases_total": {"en": "cases match", "zh-CN": "个案件符合条件"},
    "filter": {"en": "Filter", "zh-CN": "筛选"},
    "any": {"en": "any", "zh-CN": "全部"},
    "yes": {"en": "yes", "zh-CN": "是"},
    "no": {"en": "no", "zh-CN": "否"},
    "next_page": {"en": "Next page", "zh-CN": "下一页"},
    "first_page": {"en": "First page", "zh-CN": "第一页"},
    "no_cases": {"en": "No cases match.", "zh-CN": "没有符合条件的案件。"},
    "facts": {"en": "Facts", "zh-CN": "基本信息"},
    "deadlines": {"en": "Deadlines", "zh-CN": "期限"},
    "penalties": {"en": "Penalties", "zh-CN": "处罚"},
    "appeal_until": {"en": "Appeal until", "zh-CN": "申诉截止"},
    "timeline": {"en": "Timeline", "zh-CN": "协商历史"},
    "notices": {"en": "Notices sent", "zh-CN": "已发通知"},
    "evidence": {"en": "Evidence", "zh-CN": "证据"},
    "actions": {"en": "Actions", "zh-CN": "操作"},
    "no_actions": {
        "en": "No action of your role is open in this state.",
        "zh-CN": "当前状态下您的角色没有可执行的操作。",
    },
    "submit": {"en": "Submit", "zh-CN": "提交"},
    "refused": {"en": "Refused", "zh-CN": "被拒绝"},
    "done": {"en": "Done", "zh-CN": "已完成"},
    "web_ui": {"en": "Workflow in the Temporal Web UI", "zh-CN": "在 Temporal Web UI 中查看工作流"},
    "none": {"en": "none", "zh-CN": "无"},
    "passed": {"en": "passed", "zh-CN": "已过期"},
    "missed": {"en": "missed: the case is overdue", "zh-CN": "已错过：案件已逾期"},
    "complaints_by_week": {
        "en": "Cases by category and week",
        "zh-CN": "按类别和周统计的案件",
    },
    "on_time_rate": {
        "en": "Handled on time (no penalty), by week",
        "zh-CN": "按时处理率（无处罚），按周",
    },
    "points_appeals": {
        "en": "Penalty points and appeals won, by week",
        "zh-CN": "扣分与申诉成功数，按周",
    },
    "appeals_won": {"en": "appeals won", "zh-CN": "申诉成功"},
    "stalled": {"en": "stalled", "zh-CN": "停滞"},
    "language": {"en": "中文 (zh-CN)", "zh-CN": "English"},
    "forbidden": {"en": "Refused", "zh-CN": "拒绝"},
    "not_found": {"en": "No such case.", "zh-CN": "没有该案件。"},
    "urgent": {"en": "urgent", "zh-CN": "紧急"},
    "regular": {"en": "regular", "zh-CN": "普通"},
    "one_per_line": {"en": "one per line", "zh-CN": "每行一项"},
    "closed_at": {"en": "Closed", "zh-CN": "结案时间"},
    "trade_no": {"en": "Trade no.", "zh-CN": "交易单号"},
    "policy": {"en": "Policy", "zh-CN": "规则版本"},
    "round": {"en": "Round", "zh-CN": "轮次"},
    "penalty_id": {"en": "ID", "zh-CN": "编号"},
    "reason": {"en": "Reason", "zh-CN": "原因"},
    "state": {"en": "State", "zh-CN": "状态"},
}

# Action forms on zh-CN pages: an action's title and its fields' labels by their codes (the
# English ones come from the action models). One not listed shows its code, never English.
ACTIONS_ZH: dict[str, str] = {
    "accept": "受理",
    "accept_dispute": "接受争议",
    "add_evidence": "补充证据",
    "appeal": "申诉",
    "appeal_decision": "申诉裁决",
    "captured": "确认渠道已扣款",
    "close": "结案",
    "conclude": "办结",
    "confirm": "确认结果",
    "contact_counterparty": "联系被投诉方",
    "escalate": "升级",
    "link": "关联投诉",
    "mark_complex": "标记为复杂案件",
    "note": "备注",
    "object": "提出异议",
    "platform_verdict": "平台裁决",
    "provider_event": "渠道事件",
    "record_authorization": "记录授权",
    "record_reconciliation": "记录对账结果",
    "record_verification": "记录核实结果",
    "refund": "退款",
    "refuse_refund": "拒绝退款",
    "reject": "不予受理",
    "reply": "回复",
    "resolve": "已解决",
    "submit_defense": "提交抗辩",
    "succeeded": "确认已重新支付",
    "supplement": "补充材料",
}
FIELDS_ZH: dict[str, str] = {
    "amount": "金额",
    "approved": "是否批准",
    "at": "时间",
    "basis": "依据",
    "changes": "需修改的内容",
    "channel": "渠道",
    "channel_state": "渠道状态",
    "compensation.coupon": "补偿：优惠券",
    "compensation.points": "补偿：积分",
    "compensation.refund": "补偿：退款",
    "complaint_id": "投诉编号",
    "counterparties": "相关方",
    "counterparty": "相关方",
    "event_id": "事件编号",
    "evidence": "证据",
    "explanation": "说明",
    "items": "证据项",
    "message": "消息",
    "method": "方式",
    "note": "备注",
    "passed": "是否通过",
    "payment_id": "支付编号",
    "penalty_id": "处罚编号",
    "reason": "原因",
    "statement": "陈述",
    "text": "内容",
    "to": "发给",
    "upheld": "是否支持投诉",
    "verdict": "裁决",
    # Evidence fields by Stripe's names
    "kind": "类型",
    "ref": "文件",
    "bytes": "字节数",
    "source": "来源",
    "enhanced_evidence": "增强证据",
    "visa_compelling_evidence_3": "Visa 强制证据 3.0",
    "visa_compliance": "Visa 合规",
    "mastercard_compliance": "Mastercard 合规",
    "disputed_transaction": "争议交易",
    "prior_undisputed_transactions": "此前无争议的交易",
    "shipping_address": "收货地址",
    "fee_acknowledged": "已知悉费用",
    "merchandise_or_services": "商品或服务",
    "customer_account_id": "客户账户编号",
    "customer_device_fingerprint": "客户设备指纹",
    "customer_device_id": "客户设备编号",
    "customer_email_address": "客户邮箱",
    "customer_purchase_ip": "客户购买 IP",
    "product_description": "商品描述",
    "charge": "扣款编号",
    "city": "城市",
    "country": "国家",
    "line1": "地址行 1",
    "line2": "地址行 2",
    "postal_code": "邮编",
    "state": "州/省",
    "card": "卡",
    "reason_for_filing": "申诉理由",
    "supporting_files": "支持文件",
}


# What a case's details and timeline entries name, on zh-CN pages (one not listed: its code).
KEYS_ZH: dict[str, str] = {
    "provider": "渠道",
    "dispute_id": "争议编号",
    "round": "轮次",
    "reason": "原因",
    "reason_category": "原因类别",
    "category": "类别",
    "network": "卡组织",
    "enhanced_eligibility": "增强证据资格",
    "due_by": "渠道截止时间",
    "provider_status": "渠道状态",
    "phase": "阶段",
    "defendable": "可抗辩",
    "escalated": "已升级",
    "submitted": "已提交",
    "packet": "证据包",
    "money": "资金",
    "moved": "资金变动",
    "items": "证据项数",
    "required": "必需的证据",
    "missing": "缺少的证据",
    "total_bytes": "总字节数",
    "encoded_chars": "编码后字符数",
    "over_limit": "超出限制",
    "text_chars": "文本字符数",
    "problems": "问题",
    "enhanced": "增强证据",
    "appeal": "申诉",
    "withdrawn": "已扣除",
    "reinstated": "已退回",
    "fees": "手续费",
    "deducted": "已扣款",
    "amount": "金额",
    "currency": "币种",
    "created_at": "创建时间",
    "complaint_id": "投诉编号",
    "template": "模板",
    "to": "发给",
    "channel": "渠道",
    "explanation": "说明",
    "evidence": "证据",
    "kinds": "证据类型",
    "bytes": "字节数",
    "note": "备注",
    "message": "消息",
}


def key_names(lang: str) -> dict[str, str]:
    """The labels of the keys a case's values hold, in `lang` (English: their codes)."""
    return KEYS_ZH if lang == "zh-CN" else {}


def _zh(name: str) -> str:
    """A field's label on zh-CN pages: by its dotted code, else its own name's, else its
    name as words (never the dotted code)."""
    leaf = name.rpartition(".")[2]
    found = FIELDS_ZH.get(name) or FIELDS_ZH.get(leaf)
    if found:
        return found
    words = leaf.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _zh_field(x: Any) -> Any:
    parents = x.name.split(".")[:-1]
    section = " › ".join(_zh(p) for p in parents) if x.section else ""
    item = [_zh_field(sub) for sub in getattr(x, "item", [])]
    return replace(x, label=_zh(x.name), help="", section=section, item=item)


def localized(forms: list[Any], lang: str) -> list[Any]:
    """The action forms in `lang`: on zh-CN pages titles and labels from the tables above
    (else the field's own name), sections as headings, and no English help text."""
    if lang != "zh-CN":
        return forms
    return [
        replace(
            f,
            title=ACTIONS_ZH.get(f.type, f.type),
            help="",
            fields=[_zh_field(x) for x in f.fields],
        )
        for f in forms
    ]


def choose(request: Request) -> str:
    """The switch's cookie, else the first language of Accept-Language we speak."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    header = request.headers.get("accept-language", "")[:512]
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, n, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "en"


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        return MESSAGES.get(key, {}).get(lang, key)

    return t
