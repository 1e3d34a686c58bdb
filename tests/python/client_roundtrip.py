"""A client nobody here wrote, generated from /api/v1/openapi.json by openapi-python-client,
records a milestone, replans it and reads it back through its typed methods.

Usage: client_roundtrip.py URL TOKEN (the generated package `client` on PYTHONPATH)."""

import datetime
import sys
import uuid

from client import AuthenticatedClient
from client.api.milestones import milestone, plan_milestone, replan_milestone
from client.models import AcceptedBody, PlanMilestoneBody, ReplanMilestoneBody

url, token = sys.argv[1:]
api = AuthenticatedClient(base_url=url, token=token, raise_on_unexpected_status=True)
bp = "wm-digital"
new_id = "python-" + uuid.uuid4().hex[:8]
due = datetime.date.today() + datetime.timedelta(days=90)


def accepted(answer):
    if not isinstance(answer.parsed, AcceptedBody):
        sys.exit(f"refused with {answer.status_code}: {answer.content.decode()}")
    return answer.parsed


# The demo's first workstream and its lead organisation, read through the same client.
workstreams = api.get_httpx_client().get(f"/api/v1/blueprints/{bp}").json()["workstreams"]
workstream = next(w for w in workstreams if not w["retired"])

planned = accepted(
    plan_milestone.sync_detailed(
        bp,
        client=api,
        body=PlanMilestoneBody(
            id=new_id,
            workstream=workstream["id"],
            title="Planned by a generated client",
            owner=workstream["lead_org"],
            due=due,
        ),
        idempotency_key=str(uuid.uuid4()),
    )
)
moved = due + datetime.timedelta(days=30)
replanned = accepted(
    replan_milestone.sync_detailed(
        bp,
        new_id,
        client=api,
        body=ReplanMilestoneBody(to=moved, reason="Moved by a generated client"),
        idempotency_key=str(uuid.uuid4()),
        if_match=f'"{planned.version}"',
    )
)
assert replanned.seq > planned.seq, (planned, replanned)

read = milestone.sync_detailed(bp, new_id, client=api, min_seq=replanned.seq)
if read.status_code != 200:
    sys.exit(f"reading {new_id} back answered {read.status_code}: {read.content.decode()}")
body = read.parsed.to_dict()
assert body["title"] == "Planned by a generated client", body
assert body["baseline"] == due.isoformat(), body
assert body["forecast"] == moved.isoformat(), body
print(f"generated client: planned, replanned and read back milestone {bp}/{new_id}")
