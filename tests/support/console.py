"""The terminal run as a newcomer runs it: app.py console as a subprocess, lines piped in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


GAPS_EN = "The job ad required written Norwegian at contract level; your case draft needed edits."


def run_console(database_url: str, lines: list[str], *args: str, **env: str) -> str:
    """`app.py console` fed these lines, with no locale of the machine's and `env` added."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    environment.update(DATABASE_URL=database_url, **env)
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "console", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout
