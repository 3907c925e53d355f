"""People, not hashes: an action taken with the actor's display name (an API token's
`name=`) puts it on the timeline entries it makes, beside the stable actor ID; the store's
projection keeps it. An action without one, or recorded before it existed, shows none."""

from __future__ import annotations

from redress.models import CaseAction, CaseView
from redress.models.complaint import Reply, Resolve
from redress.store import crud
from tests import harness
from tests.kinds.harness import Cases, act, event, until


async def test_the_timeline_names_the_person_who_acted(cases: Cases) -> None:
    h, inp = await cases.start()
    await until(h, lambda v: v.version >= 1)
    reply = Reply(message="Parcel re-sent, tracking SF123")
    named = CaseAction(actor="agent-d7ccbc0d", role="agent", action=reply, actor_name="Li Wei")
    v = await act(h, named)
    message = event(v, "message")
    assert (message.actor, message.actor_name) == ("agent-d7ccbc0d", "Li Wei")
    assert event(v, "complaint_received").actor_name is None
    v = await act(h, CaseAction(actor="platform-1", role="platform", action=Resolve(note="ok")))
    assert event(v, "resolved").actor_name is None

    async def stored() -> CaseView:
        row = crud.get_case(cases.engine, inp.case_id)
        assert row is not None and row.status == "closed"
        return row

    row = await harness.eventually(stored)
    assert event(row, "message").actor_name == "Li Wei"
