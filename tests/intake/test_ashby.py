"""Ashby's webhooks over real HTTP, signed as Ashby signs: `Ashby-Signature: sha256=<hex>` over
the raw body. Payloads follow Ashby's webhook payload reference (developers.ashbyhq.com/reference,
applicationUpdate, candidateDelete, candidateMerge, ping) and "Common Payload Data"
(`webhookActionId`, the same across retries of one event). Ashby publishes schemas, not full
sample bodies: the fixtures fill each documented field with a plausible value."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.intake import RECRUITER, Harness, ashby_headers, body_of, sample

LINE = "line.berg@example.com"


def archived(
    application: str = "d2b5fa5e-3e39-4a0c-9f0d-3a7f1f0f4b21",
    updated: str = "2026-11-20T14:03:51.902Z",
    stage: str = "Onsite Interview",
    reason: str = "RejectedByOrg",
    status: str = "Archived",
) -> dict[str, Any]:
    data = sample("ashby_application_update.json")
    # Each new event has its own id; only Ashby's retry of the same event repeats it.
    data["webhookActionId"] = str(uuid.uuid4())
    app = data["data"]["application"]
    app.update(id=application, updatedAt=updated, status=status)
    app["currentInterviewStage"]["title"] = stage
    app["archiveReason"]["reasonType"] = reason
    return data


async def test_archived_by_the_employer_becomes_the_recruiters_candidate(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    answer = await harness.ashby(hook, archived())
    assert (answer.status, answer.result) == (200, "created")
    assert [(n, p, r) for n, p, r, _ in await harness.candidates()] == [
        ("Kari Nordmann", "Lønnskonsulent", RECRUITER)
    ]
    # The hiring team's recruiter is asked first, before the hiring manager.
    assert harness.slack.lookups == [LINE]
    [row] = await harness.applications()
    assert row.link == "https://app.ashbyhq.com/candidates/f9e52a51-a075-4116-a7b8-484deba69004"
    assert row.rejected_at is not None and row.rejected_at.date().isoformat() == "2026-11-20"


async def test_withdrawn_and_not_interviewed_are_counted_not_stored(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    withdrew = archived(application="a1", reason="RejectedByCandidate")
    screened = archived(application="a2", stage="Application Review")
    for data in (withdrew, screened):
        assert (await harness.ashby(hook, data)).result == "ignored"
    assert await harness.candidates() == []
    assert (await harness.integration("ashby")).ignored_count == 2


async def test_the_stage_before_archiving_decides(harness: Harness) -> None:
    """Archived into Ashby's "Archived" stage: the last stage seen while active counts."""
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    moved = archived(application="b1", status="Active", updated="2026-11-19T10:00:00Z")
    assert (await harness.ashby(hook, moved)).result == "known"
    assert await harness.candidates() == []
    assert all(row.name is None for row in await harness.applications())
    answer = await harness.ashby(hook, archived(application="b1", stage="Archived"))
    assert answer.result == "created"
    # Archived straight from screening: no interview stage was ever seen.
    early = archived(application="b2", status="Active", stage="Application Review")
    await harness.ashby(hook, early)
    answer = await harness.ashby(hook, archived(application="b2", stage="Archived"))
    assert answer.result == "ignored"


async def test_bad_signatures_replays_and_reordering(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    body = body_of(archived())
    good = ashby_headers(hook.secret, body)
    for headers in (
        {"Content-Type": "application/json"},
        {**good, "Ashby-Signature": good["Ashby-Signature"].replace("=", " ")},
        {**good, "Ashby-Signature": good["Ashby-Signature"].replace("sha256=", "sha1=")},
        ashby_headers("wrong", body),
    ):
        assert (await harness.post(hook.path, body, headers)).status == 401
    assert await harness.candidates() == []
    assert (await harness.post(hook.path, body, good)).status == 200
    # The same signed body again is a replay.
    assert (await harness.post(hook.path, body, good)).status == 409
    # An older update arriving after the newer one changes nothing.
    older = archived(updated="2026-11-18T08:00:00Z", status="Active")
    assert (await harness.ashby(hook, older)).result == "stale"
    assert len(await harness.candidates()) == 1
    malformed = b'{"action": "applicationUpdate", "data": {"application": {"status": 3}}}'
    answer = await harness.post(hook.path, malformed, ashby_headers(hook.secret, malformed))
    assert answer.status == 400


async def test_a_candidate_deleted_in_ashby_is_erased_here(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    await harness.ashby(hook, archived())
    [(_, _, _, ref)] = await harness.candidates()
    answer = await harness.ashby(hook, sample("ashby_candidate_delete.json"))
    assert (answer.status, answer.result) == (200, "erased")
    assert [name for name, *_ in await harness.candidates()] == [None]
    assert ("ats_delete", ref) in await harness.audit()
    # Ashby's ping when the webhook is saved.
    assert (await harness.ashby(hook, sample("ashby_ping.json"))).status == 200


MERGED_INTO = "3b7e1c9d-2f4a-4e6b-8d0c-5a9f1e3b7c2d"


async def test_a_candidate_merged_in_ashby_is_followed_here(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    await harness.ashby(hook, archived())
    [(name, _, _, ref)] = await harness.candidates()
    merge = sample("ashby_candidate_merge.json")
    body = body_of(merge)
    # Unsigned or wrongly signed: nothing is merged.
    assert (await harness.post(hook.path, body, ashby_headers("wrong", body))).status == 401
    assert [row.ats_candidate_id for row in await harness.applications()] == [
        "f9e52a51-a075-4116-a7b8-484deba69004"
    ]
    answer = await harness.post(hook.path, body, ashby_headers(hook.secret, body))
    assert (answer.status, answer.result) == (200, "merged")
    [row] = await harness.applications()
    assert row.ats_candidate_id == MERGED_INTO
    assert ("ats_merge", ref) in await harness.audit()
    # The candidate here is the same one, untouched: the call can still be prepared.
    assert [(n, r) for n, _, _, r in await harness.candidates()] == [(name, ref)]
    # Ashby retries the same event with the same webhookActionId: handled once.
    again = {**merge, "data": {**merge["data"]}}
    assert (await harness.ashby(hook, again)).status == 409
    # Deleting the surviving person in Ashby now erases the candidate that was merged into it.
    deleted = sample("ashby_candidate_delete.json")
    deleted["data"]["candidate"]["id"] = MERGED_INTO
    assert (await harness.ashby(hook, deleted)).result == "erased"
    assert [n for n, *_ in await harness.candidates()] == [None]


async def test_a_merge_without_both_ids_is_refused(harness: Harness) -> None:
    hook = await harness.connect("ashby")
    broken = sample("ashby_candidate_merge.json")
    del broken["data"]["mergedCandidate"]
    answer = await harness.ashby(hook, broken)
    assert (answer.status, answer.result) == (400, "malformed")


async def test_unarchived_before_the_call_removes_the_pending_candidate(harness: Harness) -> None:
    """Ashby has no unreject event: the application turns Active again (applicationUpdate)."""
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("ashby")
    assert (await harness.ashby(hook, archived())).result == "created"
    [(_, _, _, ref)] = await harness.candidates()
    back = archived(status="Active", updated="2026-11-21T09:00:00Z")
    answer = await harness.ashby(hook, back)
    assert (answer.status, answer.result) == (200, "removed")
    assert await harness.candidates() == []
    assert ("ats_unreject", ref) in await harness.audit()
    # Archived again later: a candidate again, from the interview stage it was in.
    again = archived(stage="Archived", updated="2026-11-22T09:00:00Z")
    assert (await harness.ashby(hook, again)).result == "created"
    assert len(await harness.candidates()) == 1
    # One that waited unassigned goes the same way.
    harness.slack.emails.clear()
    other = "e7c1d2b3-0000-4a4a-9b9b-123456789abc"
    waiting = archived(application=other)
    waiting["data"]["application"]["hiringTeam"] = []
    waiting["data"]["application"]["creditedToUser"] = None
    assert (await harness.ashby(hook, waiting)).result == "unassigned"
    back = archived(application=other, status="Active", updated="2026-11-21T09:00:00Z")
    assert (await harness.ashby(hook, back)).result == "removed"
    assert "Kari Nordmann" not in await harness.say(harness.admin(), "unassigned")
