"""Greenhouse webhooks over real HTTP, with the documented sample payloads
(developers.greenhouse.io/webhooks.html), signed as Greenhouse signs: `Signature: sha256 <hex>`."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import text

from storage.tables import AtsApplication, Candidate
from tests.support.intake import (
    LINE,
    RECRUITER,
    Harness,
    body_of,
    greenhouse_headers,
    rejected,
    sample,
)


def unrejected(application: int = 265293, at: str = "2015-02-11T15:50:41Z") -> dict[str, Any]:
    data = sample("greenhouse_unreject_candidate.json")
    data["payload"]["application"]["id"] = application
    data["payload"]["application"]["last_activity_at"] = at
    return data


async def test_a_rejection_becomes_one_candidate_of_the_matched_recruiter(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    answer = await harness.greenhouse(hook, rejected(), event_id="evt-1")
    assert (answer.status, answer.result) == (200, "created")
    assert [(n, p, r) for n, p, r, _ in await harness.candidates()] == [
        ("Hector Porter", "Designer", RECRUITER)
    ]
    assert harness.slack.lookups == [LINE]
    [row] = await harness.applications()
    assert (row.status, row.application_id, row.ats_candidate_id) == ("pending", "265293", "265788")
    assert row.link == "https://app.greenhouse.io/people/265788?application_id=265293"
    assert row.rejected_at is not None
    assert row.rejected_at.isoformat() == "2015-02-11T15:50:41+00:00"
    # What is never stored: the candidate's e-mail, phone, CV, and the ATS's own notes.
    async with harness.sessions() as session:
        dump = ""
        for table in ("candidates", "ats_applications", "positions", "audit_events"):
            dump += str((await session.execute(text(f"SELECT * FROM {table}"))).all())
    for secret in ("hector.porter", "330-281-8004", "resume.pdf", "Too Junior", "Harvard", "Blue"):
        assert secret not in dump
    # The recruiter's e-mail is kept, so the next one needs no Slack lookup.
    await harness.greenhouse(hook, rejected(application=2, person=3), event_id="evt-2")
    assert harness.slack.lookups == [LINE]
    assert len(await harness.candidates()) == 2


async def test_redelivered_and_replayed_deliveries_make_one_candidate(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    assert (await harness.greenhouse(hook, rejected(), event_id="evt-1")).status == 200
    replay = await harness.greenhouse(hook, rejected(), event_id="evt-1")
    assert (replay.status, replay.result) == (409, "replayed")
    # Greenhouse sending the same rejection again under a new delivery id: nothing new either.
    again = await harness.greenhouse(hook, rejected(), event_id="evt-2")
    assert (again.status, again.result) == (200, "known")
    assert len(await harness.candidates()) == 1
    assert (await harness.integration("greenhouse")).error_count == 1


async def test_unsigned_wrongly_signed_malformed_oversized_and_unknown_are_refused(
    harness: Harness,
) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    body = body_of(rejected())
    good = greenhouse_headers(hook.secret, body)
    unsigned = {"Content-Type": "application/json"}
    cases = [
        (body, unsigned, 401),
        (body, greenhouse_headers("not-the-secret", body), 401),
        (body, {**good, "Signature": good["Signature"].replace(" ", "=")}, 401),
        (body, {**good, "Signature": good["Signature"].split(" ")[1]}, 401),
        (body.replace(b"Hector", b"Hacker"), good, 401),
        (b"{not json", greenhouse_headers(hook.secret, b"{not json"), 400),
        (b'{"action": "reject_candidate", "payload": {"application": {"id": 1}}}', None, 400),
        (b'{"action": "reject_candidate", "payload": []}', None, 400),
        (b"[]", None, 400),
        (b'{"action": "reject_candidate"' + b" " * 300_000 + b"}", None, 413),
    ]
    for payload, headers, status in cases:
        headers = headers or greenhouse_headers(hook.secret, payload)
        answer = await harness.post(hook.path, payload, headers)
        assert answer.status == status, (payload[:60], answer)
    wrong_token = hook.path.rsplit("/", 1)[0] + "/" + "x" * 32
    assert (await harness.post(wrong_token, body, good)).status == 404
    assert (await harness.post(hook.path.replace("greenhouse", "lever"), body, good)).status == 404
    assert await harness.candidates() == []
    assert await harness.applications() == []
    integration = await harness.integration("greenhouse")
    assert integration.error_count == len(cases)
    assert integration.last_error == "too_large"


async def test_only_interviewed_candidates_the_employer_rejected(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    before_interview = rejected(application=1, stage="Application Review")
    withdrew = rejected(application=2)
    withdrew["payload"]["application"]["rejection_reason"]["type"]["name"] = "They rejected us"
    prospect = rejected(application=3, prospect=True)
    for data in (before_interview, withdrew, prospect):
        answer = await harness.greenhouse(hook, data)
        assert (answer.status, answer.result) == (200, "ignored")
    assert await harness.candidates() == []
    # Counted, not stored: not even their names.
    assert all(row.name is None for row in await harness.applications())
    assert (await harness.integration("greenhouse")).ignored_count == 3
    answer = await harness.greenhouse(hook, rejected(application=4, stage="Face to Face"))
    assert answer.result == "created"
    # The workspace decides which of its stages are interviews.
    await harness.say(harness.admin(), "integration greenhouse stages Final round, Case")
    answer = await harness.greenhouse(hook, rejected(application=5, stage="Offer"))
    assert answer.result == "ignored"
    answer = await harness.greenhouse(hook, rejected(application=6, stage="final ROUND"))
    assert answer.result == "created"


async def test_unmatched_recruiter_waits_unassigned_until_an_admin_assigns(
    harness: Harness,
) -> None:
    hook = await harness.connect("greenhouse")
    # The documented sample as it is: no recruiter on the candidate, nobody credited.
    answer = await harness.greenhouse(hook, sample("greenhouse_reject_candidate.json"))
    assert (answer.status, answer.result) == (200, "unassigned")
    other = await harness.greenhouse(hook, rejected(recruiter="nobody@example.com", application=9))
    assert other.result == "unassigned"
    assert await harness.candidates() == []
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    assert "Only an admin" in await harness.say(recruiter, "unassigned")
    listing = await harness.say(harness.admin(), "unassigned")
    assert "Hector Porter – Designer – rejected 2015-02-11 in Greenhouse" in listing
    assert "nobody@example.com" in listing
    rows = {row.application_id: row for row in await harness.applications()}
    ref = f"a{rows['265293'].id}"
    assert "Only an admin" in await harness.say(recruiter, f"assign {ref} {RECRUITER}")
    done = await harness.say(harness.admin(), f"assign {ref} {RECRUITER}")
    assert "Hector Porter" in done
    assert [(n, p, r) for n, p, r, _ in await harness.candidates()] == [
        ("Hector Porter", "Designer", RECRUITER)
    ]
    assert "Hector Porter" in await harness.say(recruiter, "list")
    left = await harness.say(harness.admin(), "unassigned")
    assert f"{ref}:" not in left and "nobody@example.com" in left
    assert ("ats_assign", (await harness.candidates())[0][3]) in await harness.audit()
    # In Norwegian too.
    norsk = harness.admin("nb")
    assert "rekrutterer" in await harness.say(norsk, "utildelte")


async def test_unreject_before_the_call_removes_the_candidate(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    await harness.greenhouse(hook, rejected(application=1))
    await harness.greenhouse(hook, rejected(application=2, person=7))
    [(_, _, _, first), (_, _, _, second)] = await harness.candidates()
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    await harness.say(recruiter, f"log {second} called")
    later = "2015-02-12T09:00:00Z"
    assert (await harness.greenhouse(hook, unrejected(1, later))).result == "removed"
    assert (await harness.greenhouse(hook, unrejected(2, later))).result == "kept"
    assert [ref for *_, ref in await harness.candidates()] == [second]
    assert ("ats_unreject", first) in await harness.audit()
    # Rejected again later: a candidate again.
    again = await harness.greenhouse(hook, rejected(application=1, at="2015-02-13T09:00:00Z"))
    assert again.result == "created"


async def test_reordered_unreject_before_reject_leaves_no_candidate(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    assert (await harness.greenhouse(hook, unrejected(at="2015-02-12T09:00:00Z"))).status == 200
    late = await harness.greenhouse(hook, rejected(at="2015-02-11T15:50:41Z"))
    assert (late.status, late.result) == (200, "stale")
    assert await harness.candidates() == []
    # The documented pair (both with the same last_activity_at) arriving the wrong way round.
    hook2 = await harness.connect("greenhouse")
    await harness.greenhouse(hook2, unrejected(application=77))
    assert (await harness.greenhouse(hook2, rejected(application=77))).result == "stale"
    assert await harness.candidates() == []


async def test_deleted_candidate_is_erased_and_merged_is_followed(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    hook = await harness.connect("greenhouse")
    # The people in the documented delete and merge samples, rejected first.
    await harness.greenhouse(hook, rejected(application=46196263, person=37031511))
    await harness.greenhouse(hook, rejected(application=555, person=99))
    [(_, _, _, deleted), (_, _, _, kept)] = await harness.candidates()
    answer = await harness.greenhouse(hook, sample("greenhouse_delete_candidate.json"))
    assert (answer.status, answer.result) == (200, "erased")
    assert [name for name, *_ in await harness.candidates()] == [None, "Hector Porter"]
    assert ("ats_delete", deleted) in await harness.audit()
    rows = {row.application_id: row for row in await harness.applications()}
    assert rows["46196263"].status == "deleted" and rows["46196263"].link is None
    # The other application in the sample is remembered as deleted, so it never comes in.
    assert rows["46196258"].status == "deleted"
    late = await harness.greenhouse(hook, rejected(application=46196258, person=37031511))
    assert late.result == "stale"
    # A redelivered rejection of the erased one does not bring the name back.
    assert (await harness.greenhouse(hook, rejected(application=46196263))).result == "stale"
    assert [name for name, *_ in await harness.candidates()] == [None, "Hector Porter"]

    merge = copy.deepcopy(sample("greenhouse_merge_candidate.json"))
    merge["payload"]["person"]["id"] = 99
    assert (await harness.greenhouse(hook, merge)).result == "merged"
    assert ("ats_merge", kept) in await harness.audit()
    rows = {row.application_id: row for row in await harness.applications()}
    assert rows["555"].ats_candidate_id == "457456"
    # Deleting the surviving person in Greenhouse now erases the merged candidate here.
    delete = sample("greenhouse_delete_candidate.json")
    delete["payload"]["person"].update(id=457456, deleted_application_ids=[])
    assert (await harness.greenhouse(hook, delete)).result == "erased"
    assert [name for name, *_ in await harness.candidates()] == [None, None]
    assert await harness.count(Candidate) == 2 and await harness.count(AtsApplication) == 3


async def test_slack_lookup_failure_asks_greenhouse_to_retry(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    harness.slack.lookup_broken = True
    hook = await harness.connect("greenhouse")
    answer = await harness.greenhouse(hook, rejected(), event_id="evt-1")
    assert answer.status == 503
    assert await harness.candidates() == [] and await harness.applications() == []
    harness.slack.lookup_broken = False
    retried = await harness.greenhouse(hook, rejected(), event_id="evt-1")
    assert (retried.status, retried.result) == (200, "created")


async def test_ping_is_answered_and_shows_as_last_delivery(harness: Harness) -> None:
    hook = await harness.connect("greenhouse")
    ping = {"action": "ping", "payload": {"web_hook_id": 1}}
    assert (await harness.greenhouse(hook, ping)).status == 200
    status = await harness.say(harness.admin(), "integration")
    assert "Greenhouse: last delivery 2026-11-23 09:00 UTC, 0 refused deliveries" in status
