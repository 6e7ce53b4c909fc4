"""A way past a false alarm of the svada check, with a trail.

A text flagged as risky is never kept by sending it again. A recruiter who is sure it is
about the job keeps it only by naming which requirement of the position it is about: a
second field next to the answer in Slack and Teams, a prompt in the console. The
confirmation is stored with the preparation and written to the audit log (who, when,
which step, which grounds; never the text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.concreteness import rules_for
from bot.messages import FormField
from storage import privacy as store
from storage import queries
from storage.tables import CallPreparation, Candidate, Recruiter

# The confirmation field of a step in a form: block_id in Slack, input id in Teams.
SUFFIX = "__requirement"
AUDIT_ACTION = "answer_confirmed"
# A requirement is named in at least this many content words ("B2-norsk i kundesamtaler").
MIN_REQUIREMENT_WORDS = 2


def field_key(step_key: str) -> str:
    return step_key + SUFFIX


@dataclass(frozen=True)
class Verdict:
    """What the check said of one answer, and whether a confirmation would let it through."""

    error: str | None = None
    # The text is risky and may be kept with a confirmation of the requirement.
    confirmable: bool = False
    # The grounds a confirmation was given for: record it once the answer is stored.
    confirmed: tuple[str, ...] = ()
    # Why a given confirmation did not count (too thin, or the answer pasted again).
    requirement_error: str | None = None


def requirement_problem(
    t: Callable[..., str], language: str, requirement: str, text: str
) -> str | None:
    """None when the requirement names something; else why not, in the recruiter's language.

    Whether it really is the job's is the recruiter's word, and the trail is what makes it
    count: the check cannot judge it, since a requirement about pensions names the very
    topic the check mistook for age.
    """
    stopwords = rules_for(language).stopwords
    words = [w for w in requirement.casefold().split() if w.strip(".,;:!?") not in stopwords]
    if len(words) < MIN_REQUIREMENT_WORDS:
        return t(language, "confirm_too_thin")
    if " ".join(requirement.casefold().split()) == " ".join(text.casefold().split()):
        return t(language, "confirm_same_text")
    return None


def form_field(
    t: Callable[..., str], language: str, step_key: str, value: str, error: str | None
) -> FormField:
    """The second field shown under a risky answer in the checklist."""
    return FormField(
        key=field_key(step_key),
        label=t(language, "confirm_label"),
        question=t(language, "confirm_question"),
        tip=t(language, "confirm_tip"),
        example=t(language, "confirm_example"),
        required=False,
        value=value,
        error=error,
    )


def record(
    session: AsyncSession,
    recruiter: Recruiter,
    actor: str,
    candidate: Candidate,
    preparation: CallPreparation,
    step_key: str,
    requirement: str,
    grounds: tuple[str, ...],
    now: datetime,
) -> None:
    """Store the confirmation with the preparation, and write who/when/step/grounds to the log."""
    queries.set_confirmation(preparation, step_key, requirement, list(grounds), recruiter.id, now)
    store.audit(
        session,
        candidate.workspace_id,
        actor,
        AUDIT_ACTION,
        candidate.public_id,
        now,
        detail=f"step={step_key} grounds={','.join(grounds)}",
    )
