"""A Greenhouse rejection as Greenhouse delivers it."""

from __future__ import annotations

from typing import Any

from tests.intake.conftest import sample

LINE = "line.berg@example.com"


def rejected(
    recruiter: str | None = LINE,
    application: int = 265293,
    person: int = 265788,
    stage: str = "Offer",
    at: str = "2015-02-11T15:50:41Z",
    **changes: Any,
) -> dict[str, Any]:
    """The documented reject_candidate sample; with a recruiter as in the documented
    hire_candidate sample's `candidate.recruiter`."""
    data = sample("greenhouse_reject_candidate.json")
    app = data["payload"]["application"]
    app["id"], app["candidate"]["id"], app["last_activity_at"] = application, person, at
    app["current_stage"]["name"] = stage
    if recruiter:
        app["candidate"]["recruiter"] = {
            "id": 55,
            "email": recruiter,
            "name": "Line Berg",
            "employee_id": "456DEF",
        }
    app.update(changes)
    return data
