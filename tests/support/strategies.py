"""Hypothesis strategies for hostile input, shared by the engine and channel tests.

- `hostile_text()`: any unicode incl. control characters, lone surrogates, NUL, RTL marks
- `huge_text()`: beyond every limit the grammar has
- `command_text(refs)`: words shaped like the grammar (right verbs, wrong or odd arguments)
- `inbound_text(refs)`: all of the above mixed
- `json_payload()`: arbitrary JSON values, for mangling Slack and Teams payloads
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from bot.commands import MAX_INPUT, OUTCOME_WORDS, WEEKDAYS

VERBS = (
    "help",
    "hjelp",
    "add",
    "list",
    "start",
    "log",
    "report",
    "remind",
    "consent",
    "pool",
    "export",
    "erase",
)
ODD_WORDS = (
    "|",
    "||",
    "internal",
    "intern",
    "withdraw",
    "trekk",
    "off",
    "av",
    "25:99",
    "09:00",
    "/feedback-call",
    "feedback-call",
    "'; DROP TABLE candidates; --",
    "%s",
    "{name}",
    "{0}",
    "<@U123>",
    "\u202e",
    "\x00",
    "\ud800",
)

# Every code point, surrogates and control characters included: JSON may carry them all.
any_character = st.characters(codec=None, exclude_categories=())


def hostile_text(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.text(alphabet=any_character, max_size=max_size)


def huge_text() -> st.SearchStrategy[str]:
    return st.builds(
        lambda unit, extra: unit * (MAX_INPUT // max(1, len(unit)) + 1) + extra,
        st.sampled_from(["a", "æøå ", "🙂", "x|", "\u0301"]),
        hostile_text(20),
    )


def word(refs: Sequence[str] = ()) -> st.SearchStrategy[str]:
    choices: list[st.SearchStrategy[str]] = [
        st.sampled_from(VERBS),
        st.sampled_from(ODD_WORDS),
        st.sampled_from(sorted(OUTCOME_WORDS)),
        st.sampled_from(sorted(WEEKDAYS)),
        hostile_text(20),
        st.text(alphabet="abcdefghjkmnpqrstuvwxyz23456789", min_size=1, max_size=8),
    ]
    if refs:
        choices.append(st.sampled_from(list(refs)))
    return st.one_of(choices)


def command_text(refs: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """A grammar verb followed by a handful of plausible and implausible words."""
    return st.builds(
        lambda verb, words, sep: sep.join([verb, *words]),
        st.sampled_from(VERBS) | st.sampled_from([v.upper() for v in VERBS]),
        st.lists(word(refs), max_size=6),
        st.sampled_from([" ", "  ", "\t", " | ", "\n"]),
    )


def inbound_text(refs: Sequence[str] = ()) -> st.SearchStrategy[str]:
    return st.one_of(command_text(refs), hostile_text(), huge_text())


def json_payload(max_leaves: int = 30) -> st.SearchStrategy[object]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | hostile_text(60)
    )
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=5) | st.dictionaries(hostile_text(20), children, max_size=5)
        ),
        max_leaves=max_leaves,
    )
