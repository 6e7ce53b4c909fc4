"""`python app.py import FILE.csv [--workspace ID] [--dry-run]`: rejected candidates from a file,
for any ATS without a webhook (Webcruiter, HR-manager, Jobbnorge exports, spreadsheets).

Columns (by header, English or Norwegian): name, position, recruiter e-mail or user id,
rejection date, internal. UTF-8 (with or without BOM), or semicolon-separated Windows-1252 /
Latin-1 as Norwegian Excel writes it. Each row becomes the same `bot.ats.Rejection` a webhook
would, keyed by name, position and date, so importing the same file again creates nothing new.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

from bot.ats import Rejection
from bot.coach import Coach
from bot.intake.recruiters import LookupUnavailable, Matcher, TokenSource
from bot.messages import Identity, is_platform_id
from bot.settings import Settings

MAX_FILE = 10 * 1024 * 1024
MAX_ROWS = 10_000
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "navn", "candidate", "kandidat", "full name", "fullt navn", "søker"),
    "position": ("position", "stilling", "job", "jobb", "stillingstittel", "title", "tittel"),
    "recruiter": (
        "recruiter",
        "rekrutterer",
        "recruiter e-mail",
        "recruiter email",
        "e-mail",
        "email",
        "e-post",
        "epost",
        "user id",
        "bruker",
        "saksbehandler",
    ),
    "date": ("rejection date", "rejected", "date", "avslagsdato", "avslag", "dato"),
    "internal": ("internal", "intern", "internal applicant", "intern søker"),
}
REQUIRED = ("name", "position", "recruiter")
YES = frozenset({"yes", "ja", "true", "1", "x", "y", "j", "internal", "intern"})
NO = frozenset({"", "no", "nei", "false", "0", "n", "external", "ekstern"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ImportError_(Exception):
    """The file as a whole cannot be read; `key` and `values` are the message to show."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class Row:
    line: int
    name: str
    position: str
    recruiter: str
    rejected: date
    internal: bool


@dataclass
class Problem:
    line: int
    key: str
    value: str = ""


def decode(raw: bytes) -> str:
    """UTF-8 when it is UTF-8; otherwise what Norwegian Excel writes (Windows-1252 ⊃ Latin-1)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def dialect_of(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def parse_date(value: str, today: date) -> date | None:
    value = value.strip()
    if not value:
        return today
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def read_rows(text: str, today: date) -> tuple[list[Row], list[Problem]]:
    reader = csv.reader(io.StringIO(text), delimiter=dialect_of(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportError_("import_empty") from None
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = title.strip().strip("\ufeff").casefold()
        for field, names in COLUMNS.items():
            if key in names and field not in columns:
                columns[field] = index
    missing = [field for field in REQUIRED if field not in columns]
    if missing:
        raise ImportError_("import_missing_columns", columns=", ".join(missing))
    rows: list[Row] = []
    problems: list[Problem] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            raise ImportError_("import_too_many", limit=MAX_ROWS)

        def cell(field: str, cells: list[str] = cells) -> str:
            index = columns.get(field)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        name, position, recruiter = cell("name"), cell("position"), cell("recruiter")
        if not name:
            problems.append(Problem(line, "import_row_no_name"))
            continue
        if len(name) > 200 or len(position) > 200:
            problems.append(Problem(line, "import_row_too_long"))
            continue
        if not position:
            problems.append(Problem(line, "import_row_no_position"))
            continue
        if not recruiter or not (_EMAIL.fullmatch(recruiter) or is_platform_id(recruiter)):
            problems.append(Problem(line, "import_row_bad_recruiter", recruiter[:60]))
            continue
        rejected = parse_date(cell("date"), today)
        if rejected is None:
            problems.append(Problem(line, "import_row_bad_date", cell("date")[:40]))
            continue
        if rejected > today:
            problems.append(Problem(line, "import_row_future_date", rejected.isoformat()))
            continue
        flag = cell("internal").casefold()
        if flag not in YES and flag not in NO:
            problems.append(Problem(line, "import_row_bad_internal", cell("internal")[:40]))
            continue
        rows.append(Row(line, name, position, recruiter, rejected, flag in YES))
    return rows, problems


def read_file(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE:
        raise ImportError_("import_too_large", limit=MAX_FILE // (1024 * 1024))
    return path.read_bytes()


def application_key(row: Row) -> str:
    """The same person, position and date is the same rejection, whoever imports it."""
    parts = "\x1f".join((row.name.casefold(), row.position.casefold(), row.rejected.isoformat()))
    return "csv-" + hashlib.sha256(parts.encode("utf-8")).hexdigest()[:40]


# How the command finds each Slack workspace's bot token once the coach is built: the
# installation store in OAuth mode (SLACK_CLIENT_ID); None with a single SLACK_BOT_TOKEN.


class Importer:
    def __init__(
        self,
        coach: Coach,
        settings: Settings,
        out: TextIO,
        slack_tokens: TokenSource | None = None,
    ) -> None:
        self.coach = coach
        self.settings = settings
        self.out = out
        self.language = settings.coach_language
        self.matcher = Matcher(settings, coach, slack_tokens)

    def say(self, key: str, **values: object) -> None:
        print(self.coach.t(self.language, key, **values), file=self.out)

    async def run(self, path: Path, workspace: str | None, dry_run: bool) -> int:
        try:
            raw = await asyncio.to_thread(read_file, path)
        except ImportError_ as error:
            self.say(error.key, **error.values)
            return 2
        except OSError as error:
            self.say("import_unreadable", file=str(path), reason=error.strerror or "")
            return 2
        now = self.coach.clock()
        try:
            rows, problems = read_rows(decode(raw), now.date())
            space = await self.coach.intake.import_workspace(workspace)
        except ImportError_ as error:
            self.say(error.key, **error.values)
            return 2
        if isinstance(space, list):
            self.say("import_which_workspace", workspaces=", ".join(space) or "-")
            return 2
        workspace_id, platform, external_id = space
        counts = {"created": 0, "unassigned": 0, "known": 0}
        for row in rows:
            try:
                owner, email = await self._owner(workspace_id, platform, external_id, row)
            except LookupUnavailable as error:
                problems.append(Problem(row.line, "import_row_lookup_failed", str(error)))
                continue
            event = self._event(row, now)
            if dry_run:
                result = await self.coach.intake.preview(workspace_id, event, owner)
            else:
                result = await self.coach.intake.apply(workspace_id, event, owner, email)
            counts[result if result in counts else "known"] += 1
            who = owner.user if owner else row.recruiter
            self.say(
                f"import_line_{result if result in counts else 'known'}",
                line=row.line,
                name=row.name,
                position=row.position,
                date=row.rejected.isoformat(),
                recruiter=who,
            )
        for problem in sorted(problems, key=lambda p: p.line):
            self.say(
                "import_problem",
                line=problem.line,
                reason=self.coach.t(self.language, problem.key, value=problem.value),
            )
        key = "import_summary_dry_run" if dry_run else "import_summary"
        self.say(key, bad=len(problems), **counts)
        return 1 if problems else 0

    async def _owner(
        self, workspace_id: int, platform: str, workspace: str, row: Row
    ) -> tuple[Identity | None, str | None]:
        if "@" in row.recruiter:
            return await self.matcher.match(workspace_id, platform, workspace, [row.recruiter])
        return Identity(platform=platform, workspace=workspace, user=row.recruiter), None

    def _event(self, row: Row, now: datetime) -> Rejection:
        rejected = datetime.combine(row.rejected, time(12, 0), tzinfo=UTC)
        return Rejection(
            vendor="csv",
            application_id=application_key(row),
            name=row.name,
            position=row.position,
            rejected_at=rejected,
            internal=row.internal,
            recruiter_emails=[row.recruiter] if "@" in row.recruiter else [],
            recruiter_user=None if "@" in row.recruiter else row.recruiter,
            event_at=rejected,
        )
