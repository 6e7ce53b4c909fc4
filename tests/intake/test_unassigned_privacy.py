"""`export` and `erase` reach a candidate from the ATS that still waits for a recruiter: the
person's right of access and erasure does not depend on someone assigning them first."""

from __future__ import annotations

import json

from bot.messages import Inbound
from tests.support.intake import LINE, RECRUITER, Harness, rejected, sample


async def waiting(harness: Harness) -> str:
    """The documented Greenhouse sample, with no recruiter: Hector Porter waits unassigned."""
    hook = await harness.connect("greenhouse")
    answer = await harness.greenhouse(hook, sample("greenhouse_reject_candidate.json"))
    assert answer.result == "unassigned"
    [row] = await harness.applications()
    return f"a{row.id}"


async def test_an_admin_exports_a_waiting_candidate(harness: Harness) -> None:
    ref = await waiting(harness)
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    assert "Only an admin" in await harness.say(recruiter, f"export {ref}")
    replies = await harness.coach.handle(harness.admin(), Inbound(text=f"export {ref}"))
    [reply] = replies
    assert reply.attachment is not None and reply.attachment.filename == f"unassigned-{ref}.json"
    document = json.loads(reply.attachment.content)
    assert document["unassigned_candidate"] == ref
    [application] = document["data"]["ats_applications"]
    assert (application["name"], application["position"]) == ("Hector Porter", "Designer")
    assert application["vendor"] == "greenhouse" and application["application_id"] == "265293"
    # The export lists itself, as a candidate's does.
    assert [event["action"] for event in document["data"]["audit_events"]] == ["export"]
    assert ("export", ref) in await harness.audit()
    # By name too; nothing was assigned or created by looking.
    by_name = await harness.say(harness.admin(), "export Hector Porter")
    assert '"unassigned_candidate": "' + ref in by_name
    assert await harness.candidates() == []


async def test_an_admin_erases_a_waiting_candidate_and_it_stays_erased(harness: Harness) -> None:
    ref = await waiting(harness)
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    assert "Only an admin" in await harness.say(recruiter, f"erase {ref}")
    # A name gets a question back; nothing is erased yet.
    question = await harness.coach.handle(harness.admin(), Inbound(text="erase Hector"))
    assert f"erase {ref}" in question[0].text
    assert question[0].cards[0].buttons[0].command == f"erase {ref}"
    assert "Hector Porter" in await harness.say(harness.admin(), "unassigned")
    done = await harness.say(harness.admin(), f"erase {ref}")
    assert f"waiting candidate {ref} are deleted" in done
    [row] = await harness.applications()
    assert (row.name, row.position, row.link, row.recruiter_email) == (None, None, None, None)
    assert row.status == "deleted"
    assert "Hector Porter" not in await harness.say(harness.admin(), "unassigned")
    assert ("erase", ref) in await harness.audit()
    # Greenhouse delivering the same rejection again does not bring the person back.
    hook = await harness.connect("greenhouse")
    again = sample("greenhouse_reject_candidate.json")
    again["payload"]["application"]["last_activity_at"] = "2015-03-01T10:00:00Z"
    assert (await harness.greenhouse(hook, again)).result == "stale"
    assert "Hector Porter" not in await harness.say(harness.admin(), "unassigned")
    # Gone means not found, in the admin's language.
    assert "can't find" in await harness.say(harness.admin(), f"export {ref}")
    assert "finner ikke" in await harness.say(harness.admin("nb"), f"erase {ref}")


async def test_candidates_matching_the_name_are_asked_about_first(harness: Harness) -> None:
    """Two assigned candidates and one waiting share a name: the name gets the usual
    question about the candidates, and the waiting one is reached by its ref."""
    harness.slack.emails[LINE] = RECRUITER
    ref = await waiting(harness)
    hook = await harness.connect("greenhouse")
    for application, person in ((1, 11), (2, 12)):
        delivered = await harness.greenhouse(hook, rejected(application=application, person=person))
        assert delivered.result == "created"
    answer = await harness.say(harness.admin(), "export Hector Porter")
    assert "unassigned_candidate" not in answer
    assert "More than one candidate in this workspace matches “Hector Porter”" in answer
    assert "Hector Porter" in await harness.say(harness.admin(), "unassigned")
    assert f'"unassigned_candidate": "{ref}"' in await harness.say(harness.admin(), f"export {ref}")
