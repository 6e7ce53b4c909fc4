"""Build the Teams app package (manifest.json + two icons, zipped) for sideloading.

    python -m bot.channels.teams.app_package.build --app-id <MICROSOFT_APP_ID> \
        --base-url https://coach.example.com [--privacy-url URL] [--terms-url URL]

--base-url is where `python app.py serve` is reachable: the website is its landing page (GET /)
and the privacy statement its GET /privacy, generated from the settings the server runs with.
Either URL can be given on its own instead (a company's own privacy statement or terms).

The icons are drawn here with the standard library (zlib + struct), so no imaging library
is needed; `--icons` rewrites the committed color.png and outline.png.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).parent
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

TEAL = (0x1F, 0x7A, 0x8C)
WHITE = (0xFF, 0xFF, 0xFF)


def png(width: int, height: int, pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An 8-bit RGBA PNG from rows of (r, g, b, a)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"".join(bytes(p) for p in row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _mark(x: float, y: float) -> bool:
    """A speech bubble with a tick in it, on a unit square."""
    dx, dy = x - 0.5, y - 0.46
    ring = 0.30**2 <= dx * dx + dy * dy <= 0.38**2
    tail = 0.60 <= y <= 0.86 and 0.22 <= x <= 0.36 and (x - 0.22) <= (0.86 - y) * 0.9
    tick_a = abs((y - 0.50) - (x - 0.36)) < 0.045 and 0.36 <= x <= 0.46
    tick_b = abs((y - 0.60) + (x - 0.46) * 1.4) < 0.05 and 0.46 <= x <= 0.66
    return ring or tail or tick_a or tick_b


def color_icon(size: int = 192) -> bytes:
    """Full-colour icon: a white mark on the accent colour."""
    rows = [
        [
            (*WHITE, 255) if _mark((i + 0.5) / size, (j + 0.5) / size) else (*TEAL, 255)
            for i in range(size)
        ]
        for j in range(size)
    ]
    return png(size, size, rows)


def outline_icon(size: int = 32) -> bytes:
    """Outline icon: white on transparent, as Teams requires."""
    rows = [
        [
            (*WHITE, 255) if _mark((i + 0.5) / size, (j + 0.5) / size) else (0, 0, 0, 0)
            for i in range(size)
        ]
        for j in range(size)
    ]
    return png(size, size, rows)


@dataclass(frozen=True)
class Links:
    """The developer links Teams shows on the app's page; all https."""

    website: str | None = None
    privacy: str | None = None
    terms: str | None = None

    @classmethod
    def from_base(
        cls, base: str | None, privacy: str | None = None, terms: str | None = None
    ) -> Links:
        root = base.rstrip("/") if base else None
        return cls(
            website=f"{root}/" if root else None,
            privacy=privacy or (f"{root}/privacy" if root else None),
            terms=terms or (f"{root}/" if root else None),
        )


def _https(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"the {name} URL must be an https:// address, not {url!r}")
    return url


def manifest(app_id: str, links: Links | None = None) -> dict:
    text = (HERE / "manifest.json").read_text(encoding="utf-8")
    data = json.loads(text.replace(PLACEHOLDER_ID, app_id))
    links = links or Links()
    developer = data["developer"]
    for key, name, url in (
        ("websiteUrl", "website", links.website),
        ("privacyUrl", "privacy", links.privacy),
        ("termsOfUseUrl", "terms", links.terms),
    ):
        if url:
            developer[key] = _https(name, url)
    hosts = sorted({urlsplit(developer[key]).netloc for key in ("websiteUrl", "privacyUrl")})
    data["validDomains"] = [host for host in hosts if host != "example.com"]
    return data


def build(app_id: str, out: Path, links: Links | None = None) -> Path:
    if not _GUID.match(app_id):
        raise ValueError("the app id is the bot's Microsoft App ID, a GUID")
    content = manifest(app_id, links)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(content, indent=2))
        package.write(HERE / "color.png", "color.png")
        package.write(HERE / "outline.png", "outline.png")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Teams app package for sideloading.")
    parser.add_argument("--app-id", help="the bot's MICROSOFT_APP_ID (a GUID)")
    parser.add_argument("--out", type=Path, default=Path("feedback-call-coach-teams.zip"))
    parser.add_argument("--icons", action="store_true", help="redraw color.png and outline.png")
    parser.add_argument("--base-url", help="where the server is reachable (https://...)")
    parser.add_argument("--privacy-url", help="privacy statement (default: <base-url>/privacy)")
    parser.add_argument("--terms-url", help="terms of use (default: <base-url>/)")
    args = parser.parse_args(argv)
    links = Links.from_base(args.base_url, args.privacy_url, args.terms_url)
    if args.icons:
        (HERE / "color.png").write_bytes(color_icon())
        (HERE / "outline.png").write_bytes(outline_icon())
    if args.app_id:
        try:
            print(build(args.app_id, args.out, links))
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
