"""A case: its facts, deadlines, penalties, timeline, notices and evidence, a link to its
workflow in the Temporal Web UI, and the forms of the actions the signed-in role may take
in the case's state. An action goes the API's own way (`take_action`)."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, select
from starlette.responses import RedirectResponse, Response

from redress import kinds
from redress.api.cases import read_case, take_action
from redress.console import i18n, session
from redress.console.forms import ActionForm, action_forms, body_of
from redress.console.pages import Visit, form_of, now, render, signed_in, time_left
from redress.models import CaseView
from redress.store.tables import NoticeRecord

router = APIRouter()
MAX_NOTICES = 100


@functools.cache
def _states(kind_name: str) -> dict[str, tuple[str, ...] | None]:
    return kinds.KINDS[kind_name].action_states()


def open_actions(view: CaseView, role: str) -> list[ActionForm]:
    """The forms of the actions `role` may take in the case's status: its kind's roles
    table, then the workflow's own table of statuses. An action the statuses leave to the
    workflow's check (an appeal) is offered while the case has a penalty it could name."""
    kind = kinds.KINDS.get(view.kind)
    if kind is None:
        return []
    allowed = kind.roles.get(role, frozenset())  # type: ignore[call-overload]
    states = _states(kind.name)
    hidden: dict[str, frozenset[str]] = {}
    for name, statuses in states.items():
        if name in allowed and (statuses is None or view.status in statuses):
            left_out = kind.offered(view, name)  # the kind's say on what the case can take
            if left_out is not None:
                hidden[name] = left_out
    forms = action_forms(kind.actions, list(hidden))
    return [
        replace(f, fields=[x for x in f.fields if not _hidden(x.name, hidden[f.type])])
        for f in forms
        if view.penalties or not any(field.name == "penalty_id" for field in f.fields)
    ]


def _hidden(name: str, left_out: frozenset[str]) -> bool:
    return any(name == h or name.startswith(f"{h}.") for h in left_out)


def _notices(v: Visit, case_id: str) -> list[NoticeRecord]:
    with Session(v.state.engine) as s:
        q = (
            select(NoticeRecord)
            .where(NoticeRecord.case_id == case_id)
            .order_by(NoticeRecord.delivered_at)  # type: ignore[arg-type]
            .limit(MAX_NOTICES)
        )
        return list(s.exec(q).all())


def _extras(event: Any) -> dict[str, Any]:
    """A timeline entry's details (everything beyond when, what and who); the page lays
    nested ones out (`values.shown`)."""
    return {k: v for k, v in (event.model_extra or {}).items() if v not in (None, "", [], {})}


async def _view(v: Visit, case_id: str) -> CaseView:
    view = await read_case(v.state, case_id)
    if view is None or v.principal is None or not v.principal.sees(view.merchant_id):
        raise HTTPException(404, f"no case {case_id!r}")
    return view


async def _page(
    v: Visit, view: CaseView, status: int = 200, refused: str = "", done: str = ""
) -> Response:
    lang = i18n.choose(v.request)
    at = now()
    s = v.state.settings
    notices = await run_in_threadpool(_notices, v, view.case_id)
    assert v.principal is not None
    return render(
        v,
        "case.html",
        status=status,
        view=view,
        deadlines=[
            (name, when, *time_left(when, lang, at))
            for name, when in sorted(view.deadlines.items(), key=lambda kv: kv[1])
        ],
        missed=view.missed_deadline,
        penalties=[(p, *time_left(p.appeal_deadline, lang, at)) for p in view.penalties],
        timeline=[(e, _extras(e)) for e in view.timeline],
        notices=notices,
        details=view.details,
        packet=view.packet or None,
        key_names=i18n.key_names(lang),
        forms=i18n.localized(open_actions(view, v.principal.role), lang),
        web_ui=f"{s.web_ui}/namespaces/{quote(s.temporal_namespace, safe='')}/workflows/"
        f"{quote(view.workflow_id, safe='')}",
        refused=refused,
        done=done,
    )


def _missing(v: Visit, case_id: str) -> Response:
    return render(v, "message.html", status=404, message="not_found", detail=case_id)


@router.get("/cases/{case_id}")
async def case_page(case_id: str, request: Request, done: str = "") -> Response:
    v = signed_in(request)
    try:
        view = await _view(v, case_id)
    except HTTPException:
        return _missing(v, case_id)
    return await _page(v, view, done=done[:40])


@router.post("/cases/{case_id}/actions")
async def act(case_id: str, request: Request) -> Response:
    v = signed_in(request)
    form = await form_of(request)
    await session.check_csrf(request, v.state, v.session, v.principal, form, case_id=case_id)
    assert v.principal is not None
    kind = kinds.by_case_id(case_id)
    forms = action_forms(kind.actions, [form.get("type", "")]) if kind else []
    body = body_of(form, forms[0].fields if forms else [])
    key = form.get("idempotency_key", "")[:128] or None
    try:
        await take_action(v.state, case_id, body, v.principal, key, via="console")
    except HTTPException as err:
        if err.status_code == 404:
            return _missing(v, case_id)
        try:
            view = await _view(v, case_id)
        except HTTPException:
            return _missing(v, case_id)
        return await _page(v, view, status=err.status_code, refused=str(err.detail))
    target = f"/console/cases/{quote(case_id, safe='')}?done={quote(body['type'], safe='')}"
    return RedirectResponse(target, status_code=303)
