"""The coaching content as data: loaded, validated and looked up here."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from conversation_guides.schema import Guide, Messages

GUIDES_DIR = Path(__file__).parent
LANGUAGES = ("en", "nb")


M = TypeVar("M", bound=BaseModel)


class GuideError(Exception):
    """A guide file is missing or malformed; the message names the file and field."""


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
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
        for language in LANGUAGES:
            guide_path = directory / language / "guide.yaml"
            messages_path = directory / language / "messages.yaml"
            guide = load_model(guide_path, Guide)
            messages = load_model(messages_path, Messages)
            for path, data in ((guide_path, guide), (messages_path, messages)):
                if data.language != language:
                    raise GuideError(f"{path}: language: says {data.language!r}, not {language!r}")
            self.guides[language] = guide
            self.messages[language] = messages
        self._check_messages_match(directory)

    def _check_messages_match(self, directory: Path) -> None:
        reference = self.messages[LANGUAGES[0]]
        for language in LANGUAGES[1:]:
            other = self.messages[language]
            path = directory / language / "messages.yaml"
            missing = set(reference.messages) ^ set(other.messages)
            if missing:
                raise GuideError(f"{path}: messages: keys differ from en: {sorted(missing)}")
            for key in reference.messages:
                if reference.placeholders(key) != other.placeholders(key):
                    raise GuideError(f"{path}: messages.{key}: placeholders differ from en")

    def guide(self, language: str) -> Guide:
        return self.guides[language]

    def text(self, language: str, key: str, **values: object) -> str:
        return self.messages[language].messages[key].format(**values)
