"""The console's two languages: chosen by the `redress_lang` cookie (the switch), else the
browser's Accept-Language, else English. Messages are keys; a missing one shows its key."""

from __future__ import annotations

from collections.abc import Callable

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
}


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
