# TEMPORARY STUB written by the lead so the engine can be tested; helper-1 replaces this file
# wholesale with the real svada check.
from pydantic import BaseModel


class Assessment(BaseModel):
    vague: bool
    risky: bool
    reasons: list[str]
    suggestion: str


def assess(text: str, language: str, step: str | None = None) -> Assessment:
    lowered = text.casefold()
    risky = any(w in lowered for w in ("younger", "yngre", "ung og dynamisk"))
    vague = any(w in lowered for w in ("right fit", "passet ikke", "not quite", "stronger"))
    return Assessment(vague=vague, risky=risky, reasons=["stub"], suggestion="stub")
