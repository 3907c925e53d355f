"""Words for the codes cases carry (statuses, outcomes, deadlines, categories, timeline
entries, kinds): each kind gives its own (`CaseKind.labels`), the words every kind shares
are here. A code without a word shows itself; the page keeps the code in a `title`, so a
desk can still match what the API says, and the filters still submit codes."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from redress import kinds

SHARED: dict[str, dict[str, str]] = {
    "closed": {"en": "Closed", "zh-CN": "已结案"},
    "escalated": {"en": "Escalated", "zh-CN": "已升级"},
    "notice": {"en": "Notice", "zh-CN": "通知"},
    "note": {"en": "Note", "zh-CN": "备注"},
    "action_refused": {"en": "Action refused", "zh-CN": "操作被拒绝"},
    "closed_by_desk": {"en": "Closed by the desk", "zh-CN": "人工结案"},
    "resolved": {"en": "Resolved", "zh-CN": "已解决"},
    "refund": {"en": "Refund", "zh-CN": "退款"},
    "refunded": {"en": "Refunded", "zh-CN": "已退款"},
    "refund_failed": {"en": "Refund failed", "zh-CN": "退款失败"},
    "overdue": {"en": "Overdue", "zh-CN": "已超时"},
    # penalties: their deadlines and states
    "appeal_by": {"en": "Appeal by", "zh-CN": "申诉截止"},
    "review_by": {"en": "Appeal review by", "zh-CN": "申诉审核截止"},
    "active": {"en": "Active", "zh-CN": "生效中"},
    "appealed": {"en": "Appealed", "zh-CN": "申诉中"},
    "revoked": {"en": "Revoked", "zh-CN": "已撤销"},
    "upheld": {"en": "Upheld", "zh-CN": "维持"},
    "final": {"en": "Final", "zh-CN": "已生效"},
}


def word(code: str, lang: str, kind: str | None = None) -> str:
    """`code` in `lang`: the kind's word, else a shared one, else any kind's, else the code.
    A deadline named for what it concerns (`appeal_by:P1`) keeps its subject."""
    if not code:
        return code
    head, colon, tail = code.partition(":")
    own = kinds.KINDS.get(kind or "")
    tables = [own.labels] if own else []
    tables.append(SHARED)
    tables.extend(k.labels for k in kinds.KINDS.values() if k is not own)
    for table in tables:
        found = table.get(head, {}).get(lang)
        if found:
            return f"{found} {tail}" if colon else found
    return code


def labeler(lang: str) -> Callable[..., Markup]:
    """The pages' `label(code, kind)`: the word, with the code in its `title`."""

    def label(code: str | None, kind: str | None = None) -> Markup:
        if code is None or code == "":
            return Markup("—")
        shown = word(code, lang, kind)
        if shown == code:
            return Markup("{}").format(code)
        return Markup('<span class="code" title="{}">{}</span>').format(code, shown)

    return label
