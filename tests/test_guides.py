"""The guides load, agree with each other, and a broken one names its file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conversation_guides import GUIDES_DIR, GuideBook, GuideError


def test_both_languages_have_every_step(guides: GuideBook) -> None:
    for language in ("en", "nb"):
        guide = guides.guide(language)
        assert [s.key for s in guide.steps_for(internal=True)] == [
            "competence",
            "gaps",
            "luxury_problem",
            "self_presentation",
            "internal_value",
        ]
        assert "internal_value" not in [s.key for s in guide.steps_for(internal=False)]


@pytest.fixture
def guide_copy(tmp_path: Path) -> Path:
    target = tmp_path / "guides"
    shutil.copytree(GUIDES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_missing_field_names_file_and_field(guide_copy: Path) -> None:
    path = guide_copy / "nb" / "script.yaml"
    path.write_text(path.read_text().replace("\n  time_check:", "\n  time_chek:"))
    with pytest.raises(GuideError) as error:
        GuideBook(guide_copy)
    assert str(path) in str(error.value)
    assert "opening.time_check" in str(error.value)


def test_wrong_step_list_is_refused(guide_copy: Path) -> None:
    path = guide_copy / "en" / "guide.yaml"
    path.write_text(path.read_text().replace("key: luxury_problem", "key: gaps"))
    with pytest.raises(GuideError, match="steps must be exactly"):
        GuideBook(guide_copy)


def test_broken_yaml_names_file(guide_copy: Path) -> None:
    path = guide_copy / "en" / "messages" / "commands.yaml"
    path.write_text("language: en\nmessages: [unclosed\n")
    with pytest.raises(GuideError, match="not valid YAML"):
        GuideBook(guide_copy)


def test_messages_must_match_across_languages(guide_copy: Path) -> None:
    path = guide_copy / "nb" / "messages" / "candidates.yaml"
    path.write_text(path.read_text().replace("{name} ({id}) er lagt til", "{navn} er lagt til"))
    with pytest.raises(GuideError, match=r"messages\.added: placeholders differ"):
        GuideBook(guide_copy)


def test_every_language_has_the_same_keys(guide_copy: Path) -> None:
    path = guide_copy / "nb" / "messages" / "reminders.yaml"
    path.write_text(path.read_text().replace("\n  snoozed:", "\n  snoozed_nb:"))
    with pytest.raises(GuideError, match=r"keys differ from en: \['snoozed', 'snoozed_nb'\]"):
        GuideBook(guide_copy)


def test_every_language_splits_its_catalogs_the_same_way(guide_copy: Path) -> None:
    """A key moved to another concept in one language only is refused, naming both files."""
    source = guide_copy / "nb" / "messages" / "reminders.yaml"
    target = guide_copy / "nb" / "messages" / "outcomes.yaml"
    lines = source.read_text().splitlines(keepends=True)
    moved = [line for line in lines if line.startswith("  snoozed:")]
    assert len(moved) == 1
    source.write_text("".join(line for line in lines if line not in moved))
    target.write_text(target.read_text() + moved[0])
    with pytest.raises(GuideError) as error:
        GuideBook(guide_copy)
    assert "keys differ from en's" in str(error.value) and "snoozed" in str(error.value)


def test_a_catalog_only_one_language_has_is_refused(guide_copy: Path) -> None:
    folder = guide_copy / "nb" / "messages"
    (folder / "reminders.yaml").rename(folder / "reminder.yaml")
    with pytest.raises(
        GuideError, match=r"catalogs differ from en: \['reminder.yaml', 'reminders.yaml'\]"
    ):
        GuideBook(guide_copy)


def test_a_key_defined_in_two_catalogs_is_refused(guide_copy: Path) -> None:
    path = guide_copy / "en" / "messages" / "outcomes.yaml"
    path.write_text(path.read_text() + '  snoozed: "Snoozed twice."\n')
    with pytest.raises(GuideError) as error:
        GuideBook(guide_copy)
    first = guide_copy / "en" / "messages" / "reminders.yaml"
    assert f"{first}: messages: already defined in {path}: ['snoozed']" in str(error.value)


def test_a_key_defined_twice_in_one_catalog_is_refused(guide_copy: Path) -> None:
    """Plain YAML would keep the second silently; the guides refuse it, naming the file."""
    path = guide_copy / "nb" / "messages" / "reminders.yaml"
    path.write_text(path.read_text() + '  snoozed: "Utsatt to ganger."\n')
    with pytest.raises(GuideError) as error:
        GuideBook(guide_copy)
    assert str(path) in str(error.value) and "'snoozed' is defined twice" in str(error.value)


def test_catalogs_are_named_after_concepts_not_work_items() -> None:
    for language in ("en", "nb"):
        assert not list((GUIDES_DIR / language).glob("messages*.yaml"))
        names = {path.stem for path in (GUIDES_DIR / language / "messages").glob("*.yaml")}
        assert {"commands", "candidates", "checklist", "script", "outcomes", "reminders"} <= names


def test_app_refuses_to_start_with_a_broken_guide(
    guide_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app
    from bot import wiring

    path = guide_copy / "en" / "guide.yaml"
    path.write_text("language: en\nversion: 0\n")
    monkeypatch.setattr(wiring, "GuideBook", lambda: GuideBook(guide_copy))
    assert app.main(["console"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "version" in err


def test_prepared_texts_read_as_the_templates_do(guides: GuideBook) -> None:
    """Labels are formatted once per language; what they say must not change by it."""
    fixed = 0
    for language, messages in guides.messages.items():
        assert guides.templates(language) == messages.messages
        for key, template in messages.messages.items():
            if "{" not in template.replace("{{", "").replace("}}", ""):
                assert guides.text(language, key) == template.format()
                fixed += 1
    assert fixed > 50
    # A template with a placeholder still needs its value, as before.
    with pytest.raises(KeyError):
        guides.text("en", "list_header")
    assert guides.text("nb", "list_header", count=3) == guides.messages["nb"].messages[
        "list_header"
    ].format(count=3)
