"""Imports only go down: app/wiring -> channels -> engine -> storage, and never in a circle.

Every module of app.py, bot/, storage/ and conversation_guides/ is read as a syntax tree, so
an import counts wherever it is written: at the top, inside a function, or under
TYPE_CHECKING (a type-only import still couples the two modules). Importing a package's
module does not count as importing the package's __init__: only what is written counts.

The tests are read the same way for one rule: no module under tests/ imports a test module
(test_*.py) or a conftest. Shared helpers live in tests/support/; pytest hands out fixtures.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "conversation_guides")
# The composition root and the command line may know every channel; nothing else outside
# bot/channels/ may.
MAY_IMPORT_CHANNELS = ("app", "bot.wiring")
CHANNELS = "bot.channels"


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def modules(root: Path) -> dict[str, Path]:
    """Every module in the tree, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    if (root / "app.py").exists():
        found["app"] = root / "app.py"
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module a dotted name starts with (`bot.x.f` -> `bot.x`)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def modules_of_tests(root: Path) -> dict[str, Path]:
    """Every module under tests/, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted((root / "tests").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(root: Path, known: dict[str, Path] | None = None) -> list[Import]:
    """Every import between the tree's own modules, wherever in a module it is written."""
    known = modules(root) if known is None else known
    found: list[Import] = []
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    # A relative import counts from the package the module is in.
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from bot import reminders` imports the module bot.reminders.
                names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            # `from app import a, b` is one import of app.
            targets = {_resolve(name, known) for name in names} - {None, module}
            found += [Import(module, target, node.lineno) for target in sorted(targets)]
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _channel(module: str) -> str | None:
    """Which channel a module belongs to (console, slack, teams), or None."""
    if not module.startswith(CHANNELS + "."):
        return None
    return module.split(".")[2]


def violations(root: Path) -> list[str]:
    """Each import that climbs a layer or crosses between channels, with where it is."""
    found: list[str] = []
    for item in imports(root):
        where = f"{item.importer} (line {item.line}) imports {item.imported}"
        importer_channel, imported_channel = _channel(item.importer), _channel(item.imported)
        if item.imported == "app":
            found.append(f"{where}: nothing imports app")
        if (
            imported_channel is not None
            and importer_channel is None
            and item.importer not in MAY_IMPORT_CHANNELS
        ):
            found.append(f"{where}: only bot/channels/, bot/wiring.py and app.py know channels")
        if importer_channel and imported_channel and importer_channel != imported_channel:
            found.append(f"{where}: a channel never imports another channel")
        if _within(item.importer, "storage") and _within(item.imported, "bot"):
            found.append(f"{where}: storage never imports bot")
        if _within(item.importer, "conversation_guides") and _within(item.imported, "bot"):
            found.append(f"{where}: conversation_guides never imports bot")
    return found


def _reaches_into_a_test(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def reaching_into_tests(root: Path) -> list[str]:
    """Each import, under tests/, of a test module or a conftest, with where it is."""
    return [
        f"{item.importer} (line {item.line}) imports {item.imported}: "
        "shared helpers go in tests/support/, shared fixtures in a conftest pytest finds"
        for item in imports(root, modules_of_tests(root))
        if _reaches_into_a_test(item.imported)
    ]


@dataclass(frozen=True)
class Circle:
    members: tuple[str, ...]
    # One way round, from the first member back to it.
    example: tuple[str, ...]

    def __str__(self) -> str:
        return f"{len(self.members)} modules: {', '.join(self.members)}\n  e.g. " + " -> ".join(
            self.example
        )


def cycles(root: Path) -> list[Circle]:
    """Each group of modules that import each other, round and round (Tarjan's SCCs)."""
    graph: dict[str, set[str]] = {module: set() for module in modules(root)}
    for item in imports(root):
        graph[item.importer].add(item.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a deep import chain cannot exhaust Python's recursion limit.
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [Circle(tuple(sorted(group)), _circle(graph, group)) for group in groups]


def _circle(graph: dict[str, set[str]], group: set[str]) -> tuple[str, ...]:
    """A shortest way from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & group):
            if target == start:
                return (*paths[node], start)
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"no circle through {sorted(group)}")


def _describe(circles: list[Circle]) -> str:
    return "\n".join(str(circle) for circle in circles)


def test_imports_only_go_down() -> None:
    found = violations(ROOT)
    assert not found, "\n".join(found)


def test_tests_import_no_test_module_and_no_conftest() -> None:
    found = reaching_into_tests(ROOT)
    assert not found, "\n".join(found)
    # The walk reads the tests for real: the shared helpers are imported from test modules.
    edges = {(item.importer, item.imported) for item in imports(ROOT, modules_of_tests(ROOT))}
    assert ("tests.test_conversations", "tests.support.conversations") in edges


def test_no_import_circle() -> None:
    found = cycles(ROOT)
    assert not found, f"import circles:\n{_describe(found)}"


def test_the_graph_sees_every_kind_of_import() -> None:
    """The real tree's graph is not empty by accident: known edges of each kind are there."""
    edges = {(item.importer, item.imported) for item in imports(ROOT)}
    assert ("app", "bot.wiring") in edges  # inside a function
    assert ("bot.wiring", "bot.server") in edges
    assert ("storage.health", "storage.errors") in edges  # at the top


# -- the checks themselves, on a made-up tree ------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


CLEAN = {
    "app.py": "from bot import wiring\n",
    "bot/wiring.py": "from bot.channels.slack import commands\nimport bot.engine\n",
    "bot/engine.py": "from storage import tables\n",
    "bot/channels/__init__.py": "",
    "bot/channels/slack/__init__.py": "",
    "bot/channels/slack/commands.py": "from bot import engine\nfrom . import blocks\n",
    "bot/channels/slack/blocks.py": "",
    "bot/channels/teams/__init__.py": "",
    "bot/channels/teams/cards.py": "",
    "storage/tables.py": "",
}


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    root = _tree(tmp_path, CLEAN)
    assert violations(root) == []
    assert cycles(root) == []
    assert ("bot.channels.slack.commands", "bot.channels.slack.blocks") in {
        (item.importer, item.imported) for item in imports(root)
    }


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("bot/engine.py", "def f():\n    import app\n", "bot.engine (line 2) imports app"),
        (
            "bot/engine.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from bot.channels.teams.cards import x\n",
            "bot.engine (line 3) imports bot.channels.teams.cards: only bot/channels/",
        ),
        (
            "bot/channels/slack/blocks.py",
            "from bot.channels.teams import cards\n",
            "a channel never imports another channel",
        ),
        (
            "bot/channels/teams/cards.py",
            "def f():\n    from ..slack import blocks\n",
            "bot.channels.teams.cards (line 2) imports bot.channels.slack.blocks: a channel",
        ),
        ("storage/tables.py", "import bot.engine\n", "storage never imports bot"),
        (
            "conversation_guides/schema.py",
            "from bot.engine import x\n",
            "conversation_guides never imports bot",
        ),
    ],
)
def test_each_kind_of_violation_is_caught(
    tmp_path: Path, file: str, text: str, expected: str
) -> None:
    root = _tree(tmp_path, {**CLEAN, file: text})
    found = violations(root)
    assert len(found) == 1 and expected in found[0], found


def test_a_circle_is_caught_and_printed(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **CLEAN,
            "bot/engine.py": "from bot import privacy\n",
            "bot/privacy.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from bot.checklist import Step\n",
            "bot/checklist.py": "def later():\n    from bot.engine import Coach\n",
        },
    )
    found = cycles(root)
    assert found == [
        Circle(
            ("bot.checklist", "bot.engine", "bot.privacy"),
            ("bot.checklist", "bot.engine", "bot.privacy", "bot.checklist"),
        )
    ]
    assert "bot.checklist -> bot.engine -> bot.privacy -> bot.checklist" in _describe(found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from tests.intake.conftest import Harness\n", "imports tests.intake.conftest"),
        ("def f():\n    from tests import conftest\n", "(line 2) imports tests.conftest"),
        ("from tests.intake.test_greenhouse import LINE\n", "imports tests.intake.test_greenhouse"),
        ("from .test_greenhouse import rejected\n", "imports tests.intake.test_greenhouse"),
    ],
)
def test_a_test_reaching_into_a_test_or_a_conftest_is_caught(
    tmp_path: Path, text: str, expected: str
) -> None:
    files = {
        "tests/__init__.py": "",
        "tests/conftest.py": "from tests.support.database import Clock\n",
        "tests/support/__init__.py": "",
        "tests/support/database.py": "",
        "tests/intake/__init__.py": "",
        "tests/intake/conftest.py": "from tests.support import database\n",
        "tests/intake/test_greenhouse.py": "from tests.support.database import Clock\n",
    }
    root = _tree(tmp_path, files)
    assert reaching_into_tests(root) == []
    root = _tree(tmp_path, {**files, "tests/intake/test_notices.py": text})
    found = reaching_into_tests(root)
    assert len(found) == 1 and expected in found[0], found
    assert found[0].startswith("tests.intake.test_notices ")
