"""How long one practice line takes, and how large the state the client carries gets.

Times the pure rehearsal (hearing, checks, the candidate's answer, packing the state) per
recruiter line, and one whole engine turn (`Coach.practice_turn`: the prepared points read
from the database, the rehearsal, the reply) on a SQLite file, for every scenario in both
languages. Prints figures; asserts nothing.

    python benchmarks/practice.py [--rounds 20] [--database-url sqlite+aiosqlite:///…]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing

from bot.coach import Coach  # noqa: E402
from bot.messages import Identity, Inbound  # noqa: E402
from bot.practice import PracticeSetup, Rehearsal, pack  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversation_guides import GuideBook  # noqa: E402
from conversation_guides.practice import SCENARIO_ORDER  # noqa: E402
from storage.database import open_database  # noqa: E402
from tests.support.practice_scripts import POINTS, script  # noqa: E402


def pure(guides: GuideBook, rounds: int) -> tuple[list[float], list[int]]:
    times: list[float] = []
    sizes: list[int] = []
    for language in ("nb", "en"):
        for scenario in SCENARIO_ORDER:
            for seed in range(rounds):
                setup = PracticeSetup(
                    language=language,  # type: ignore[arg-type]
                    candidate_name="Kari Nordmann",
                    candidate_ref="k7f3qa",
                    position="Payroll officer",
                    points=POINTS[language],
                    must_say=guides.guide(language).must_say.model_dump(),
                    pool_months=12,
                    scenario=scenario,  # type: ignore[arg-type]
                    seed=seed,
                )
                rehearsal = Rehearsal(guides.practice(language))
                state, _ = rehearsal.begin(setup, "benchmark-run")
                for step in script(language, scenario):
                    started = time.perf_counter()
                    turn = rehearsal.step(setup, state, step.says)
                    sizes.append(len(pack(turn.state)))
                    times.append(time.perf_counter() - started)
                    state = turn.state
    return times, sizes


async def engine(guides: GuideBook, url: str, rounds: int) -> list[float]:
    settings = Settings(DATABASE_URL=url)
    database, sessions = await open_database(url)
    coach = Coach(sessions, guides, settings)
    times: list[float] = []
    try:
        for language in ("nb", "en"):
            who = Identity(platform="console", workspace="bench", user=f"u-{language}",
                           language=language)  # fmt: skip
            added = await coach.handle(who, Inbound(text="add Kari Nordmann | Payroll officer"))
            ref = added[0].cards[0].buttons[0].command.split()[-1]
            await coach.submit_checklist(who, ref, POINTS[language])
            for scenario in SCENARIO_ORDER:
                word = guides.practice(language).scenarios[scenario].words[0]
                for _ in range(max(1, rounds // 4)):
                    start = await coach.handle(who, Inbound(text=f"practice {ref} | {word}"))
                    assert start[0].practice is not None
                    state = start[0].practice.state
                    for step in script(language, scenario):
                        began = time.perf_counter()
                        reply = await coach.practice_turn(who, state, step.says)
                        times.append(time.perf_counter() - began)
                        if reply.practice is None or reply.practice.done:
                            break
                        state = reply.practice.state
    finally:
        await database.dispose()
    return times


def show(name: str, values: list[float]) -> None:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{name:28} n={len(ms):5}  median {statistics.median(ms):7.2f} ms  p95 {p95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    guides = GuideBook()
    times, sizes = pure(guides, args.rounds)
    show("rehearsal step (pure)", times)
    median = statistics.median(sizes)
    label = "packed state (characters)"
    print(f"{label:28} median {median:.0f}  max {max(sizes)}  (Slack limit 3000)")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        show("engine turn (with database)", asyncio.run(engine(guides, url, args.rounds)))


if __name__ == "__main__":
    main()
