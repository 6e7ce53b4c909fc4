"""The Teams app package: a manifest that names our bot, and two icons of the right size."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot import commands
from bot.channels.teams.app_package import build

PACKAGE = Path(build.__file__).parent


def _png(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, colour type and the decompressed pixel rows of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, _depth, colour = struct.unpack(">IIBB", header[:10])
    return width, height, colour, zlib.decompress(idat)


def test_icons_have_the_sizes_teams_requires() -> None:
    width, height, _, _ = _png((PACKAGE / "color.png").read_bytes())
    assert (width, height) == (192, 192)
    width, height, colour, rows = _png((PACKAGE / "outline.png").read_bytes())
    assert (width, height, colour) == (32, 32, 6)  # RGBA: white on transparent
    pixels = [rows[r * (1 + 32 * 4) + 1 :][: 32 * 4] for r in range(32)]
    colours = {bytes(row[i : i + 4]) for row in pixels for i in range(0, len(row), 4)}
    assert colours == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}


def test_committed_icons_are_what_the_script_draws() -> None:
    assert (PACKAGE / "color.png").read_bytes() == build.color_icon()
    assert (PACKAGE / "outline.png").read_bytes() == build.outline_icon()


def test_manifest_names_the_bot_and_lists_grammar_commands() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    (bot,) = manifest["bots"]
    assert bot["botId"] == manifest["id"] == build.PLACEHOLDER_ID
    assert set(bot["scopes"]) == {"personal", "groupChat", "team"}
    for command in bot["commandLists"][0]["commands"]:
        parsed = commands.parse(command["title"])
        problem = getattr(parsed, "problem", None)
        assert problem != "unknown_command", command["title"]


def test_build_puts_the_app_id_into_a_sideloadable_zip(tmp_path: Path) -> None:
    app_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    out = build.build(app_id, tmp_path / "app.zip")
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["id"] == manifest["bots"][0]["botId"] == app_id
    with pytest.raises(ValueError):
        build.build("not-a-guid", tmp_path / "bad.zip")


def test_the_manifest_is_on_a_current_schema_version() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifestVersion"] == "1.22"
    assert manifest["$schema"].endswith("/teams/v1.22/MicrosoftTeams.schema.json")


def test_privacy_and_terms_urls_are_configurable(tmp_path: Path) -> None:
    app_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    out = tmp_path / "app.zip"
    assert (
        build.main(["--app-id", app_id, "--out", str(out), "--base-url", "https://coach.acme.no/"])
        == 0
    )
    with zipfile.ZipFile(out) as package:
        developer = json.loads(package.read("manifest.json"))["developer"]
        domains = json.loads(package.read("manifest.json"))["validDomains"]
    # The server's own pages: GET / and GET /privacy.
    assert developer["websiteUrl"] == "https://coach.acme.no/"
    assert developer["privacyUrl"] == "https://coach.acme.no/privacy"
    assert developer["termsOfUseUrl"] == "https://coach.acme.no/"
    assert domains == ["coach.acme.no"]

    links = build.Links.from_base(
        "https://coach.acme.no",
        privacy="https://acme.no/personvern",
        terms="https://acme.no/vilkar",
    )
    developer = build.manifest(app_id, links)["developer"]
    assert developer["privacyUrl"] == "https://acme.no/personvern"
    assert developer["termsOfUseUrl"] == "https://acme.no/vilkar"
    with pytest.raises(ValueError, match="https"):
        build.manifest(app_id, build.Links(privacy="http://acme.no/privacy"))
    assert build.main(["--app-id", app_id, "--out", str(out), "--terms-url", "ftp://acme.no/"]) == 2
