"""Practice runs: that a practice call happened, when, and its scores. No transcript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Candidate, PracticeRun, Recruiter


async def record_run(
    session: AsyncSession,
    recruiter: Recruiter,
    candidate: Candidate,
    run_key: str,
    *,
    scenario: str,
    language: str,
    exchanges: int,
    passed: int,
    checked: int,
    results: dict[str, str],
    now: datetime,
) -> bool:
    """Store one finished practice; False when this run was recorded before (a redelivery)."""
    seen = await session.scalar(
        select(PracticeRun.id).where(
            PracticeRun.recruiter_id == recruiter.id, PracticeRun.run_key == run_key
        )
    )
    if seen is not None:
        return False
    session.add(
        PracticeRun(
            run_key=run_key,
            recruiter_id=recruiter.id,
            candidate_id=candidate.id,
            scenario=scenario,
            language=language,
            exchanges=exchanges,
            passed=passed,
            checked=checked,
            results=results,
            created_at=now,
        )
    )
    await session.flush()
    return True


@dataclass(frozen=True)
class PracticeSummary:
    count: int
    last_at: datetime
    last_passed: int
    last_checked: int


async def summary(session: AsyncSession, recruiter: Recruiter) -> PracticeSummary | None:
    """How many practices this recruiter has done, and the latest one's score."""
    count = await session.scalar(
        select(func.count()).where(PracticeRun.recruiter_id == recruiter.id)
    )
    if not count:
        return None
    last = await session.scalar(
        select(PracticeRun)
        .where(PracticeRun.recruiter_id == recruiter.id)
        .order_by(PracticeRun.created_at.desc(), PracticeRun.id.desc())
        .limit(1)
    )
    assert last is not None
    return PracticeSummary(count, last.created_at, last.passed, last.checked)
