"""The coaching content as data: loaded, validated and looked up here."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from conversation_guides.practice import PracticeGuide
from conversation_guides.schema import Guide, Messages, ScriptGuide

GUIDES_DIR = Path(__file__).parent
LANGUAGES = ("en", "nb")
# Each language's message catalogs, one file per concept.
MESSAGES_DIR = "messages"


M = TypeVar("M", bound=BaseModel)


class GuideError(Exception):
    """A guide file is missing or malformed; the message names the file and field."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (plain YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is defined twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as error:
        raise GuideError(f"{path}: cannot be read ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise GuideError(f"{path}: not valid YAML ({error})") from error


def load_model(path: Path, model: type[M]) -> M:
    """Validate one YAML file against its schema, naming the file and field on failure."""
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        )
        raise GuideError(f"{path}: {problems}") from error


class GuideBook:
    """The guides and messages of every language, checked against each other."""

    def __init__(self, directory: Path = GUIDES_DIR) -> None:
        self.guides: dict[str, Guide] = {}
        self.messages: dict[str, Messages] = {}
        self.practice_guides: dict[str, PracticeGuide] = {}
        self.scripts: dict[str, ScriptGuide] = {}
        # The keys of each message catalog file, by language and file name.
        self._catalogs: dict[str, dict[str, set[str]]] = {}
        for language in LANGUAGES:
            guide_path = directory / language / "guide.yaml"
            guide = load_model(guide_path, Guide)
            if guide.language != language:
                raise GuideError(
                    f"{guide_path}: language: says {guide.language!r}, not {language!r}"
                )
            self.guides[language] = guide
            script_path = directory / language / "script.yaml"
            script = load_model(script_path, ScriptGuide)
            if script.language != language:
                raise GuideError(
                    f"{script_path}: language: says {script.language!r}, not {language!r}"
                )
            self.scripts[language] = script
            self.messages[language], self._catalogs[language] = self._load_messages(
                directory / language, language
            )
            self.practice_guides[language] = self._load_practice(directory / language, language)
        self._check_messages_match(directory)
        self._check_practice_match(directory)
        # Prepared once per language: the flat templates, and the finished text of every
        # message without a placeholder (most labels), so that a reply of thirty rows does
        # not parse the same label thirty times.
        self._templates = {lang: dict(m.messages) for lang, m in self.messages.items()}
        self._fixed = {
            lang: {key: t.format() for key, t in templates.items() if not _fields(t)}
            for lang, templates in self._templates.items()
        }

    @staticmethod
    def _load_practice(folder: Path, language: str) -> PracticeGuide:
        path = folder / "practice.yaml"
        practice = load_model(path, PracticeGuide)
        if practice.language != language:
            raise GuideError(f"{path}: language: says {practice.language!r}, not {language!r}")
        return practice

    def _check_practice_match(self, directory: Path) -> None:
        reference = self.practice_guides[LANGUAGES[0]].shape()
        for language in LANGUAGES[1:]:
            shape = self.practice_guides[language].shape()
            for part, expected in reference.items():
                if shape[part] != expected:
                    path = directory / language / "practice.yaml"
                    raise GuideError(f"{path}: {part}: keys or placeholders differ from en")

    @staticmethod
    def _load_messages(folder: Path, language: str) -> tuple[Messages, dict[str, set[str]]]:
        """messages/<concept>.yaml: one catalog per concept (commands, checklist, reminders ...)."""
        merged: dict[str, str] = {}
        catalogs: dict[str, set[str]] = {}
        paths = sorted((folder / MESSAGES_DIR).glob("*.yaml"))
        if not paths:
            raise GuideError(f"{folder / MESSAGES_DIR}: no message catalogs")
        for path in paths:
            part = load_model(path, Messages)
            if part.language != language:
                raise GuideError(f"{path}: language: says {part.language!r}, not {language!r}")
            twice = sorted(set(part.messages) & set(merged))
            if twice:
                first = next(name for name, keys in catalogs.items() if twice[0] in keys)
                raise GuideError(
                    f"{path}: messages: already defined in {folder / MESSAGES_DIR / first}: {twice}"
                )
            merged.update(part.messages)
            catalogs[path.name] = set(part.messages)
        return Messages(language=language, messages=merged), catalogs

    def _check_messages_match(self, directory: Path) -> None:
        reference = self.messages[LANGUAGES[0]]
        reference_split = self._catalogs[LANGUAGES[0]]
        for language in LANGUAGES[1:]:
            other = self.messages[language]
            folder = directory / language / MESSAGES_DIR
            missing = set(reference.messages) ^ set(other.messages)
            if missing:
                raise GuideError(f"{folder}: messages: keys differ from en: {sorted(missing)}")
            # The same split in every language, so a translator finds a key where en has it.
            split = self._catalogs[language]
            odd = sorted(set(split) ^ set(reference_split))
            if odd:
                raise GuideError(f"{folder}: catalogs differ from en: {odd}")
            for name, keys in split.items():
                if keys != reference_split[name]:
                    raise GuideError(
                        f"{folder / name}: messages: keys differ from en's {name}: "
                        f"{sorted(keys ^ reference_split[name])}"
                    )
            for key in reference.messages:
                if reference.placeholders(key) != other.placeholders(key):
                    raise GuideError(f"{folder}: messages.{key}: placeholders differ from en")

    def guide(self, language: str) -> Guide:
        return self.guides[language]

    def practice(self, language: str) -> PracticeGuide:
        return self.practice_guides[language]

    def script(self, language: str) -> ScriptGuide:
        return self.scripts[language]

    def text(self, language: str, key: str, **values: object) -> str:
        if not values:
            fixed = self._fixed[language].get(key)
            if fixed is not None:
                return fixed
        return self._templates[language][key].format(**values)

    def templates(self, language: str) -> dict[str, str]:
        """Every message template of a language, by key (read-only: shared by all callers)."""
        return self._templates[language]


def _fields(template: str) -> bool:
    """Whether a template has a placeholder to fill."""
    return any(field is not None for _, field, _, _ in string.Formatter().parse(template))
