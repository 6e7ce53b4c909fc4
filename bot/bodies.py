"""Request bodies are measured before anything parses them: size first, then JSON nesting.

Python's json module recurses once per level, so a few kilobytes of `[[[[...` end in a
RecursionError deep inside whatever parses first (Bolt, botbuilder, a webhook handler).
This middleware runs before every route: a body over `max_size` gets 413, JSON nested deeper
than `max_depth` (also JSON inside a form field, as Slack sends interactivity) gets 400, each
with a polite sentence. Slack's and Teams' real payloads are a few levels deep.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_DEPTH = 64
# A JSON string (escapes included) carries no structure; brackets inside one do not count.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_OPENERS = frozenset(b"[{")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Texts = Callable[[str], str]


def json_depth(data: bytes) -> int:
    """How deeply JSON text nests arrays and objects (0 for a scalar); no parsing, no recursion."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', data)):
        if match.group()[0] in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def openers(body: bytes, content_type: str) -> int:
    """How many `[` and `{` a body holds, decoded or percent-encoded: a bound on its depth
    that costs a few scans in C, where measuring the depth parses the whole body."""
    count = body.count(b"[") + body.count(b"{")
    if content_type == "application/x-www-form-urlencoded":
        upper = body.upper()
        count += upper.count(b"%5B") + upper.count(b"%7B")
    return count


def body_depth(body: bytes, content_type: str) -> int:
    """The deepest JSON in a body: the body itself, or each field of a form."""
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qsl(body.decode("utf-8", "replace"), max_num_fields=1000)
        except ValueError:  # more fields than any Slack form has
            return MAX_DEPTH + 1
        return max((json_depth(value.encode()) for _, value in fields), default=0)
    return json_depth(body)


def limit_bodies(
    texts: Texts, *, max_size: int = MAX_BODY, max_depth: int = MAX_DEPTH
) -> Middleware:
    """An aiohttp middleware for every route: 413 past `max_size`, 400 past `max_depth`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body:
            if (request.content_length or 0) > max_size:
                return _refuse(413, texts("body_too_large"), "too large")
            try:
                # read() keeps the bytes: the route reads them again from memory.
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:  # no Content-Length, or a wrong one
                return _refuse(413, texts("body_too_large"), "too large")
            if len(body) > max_size:
                return _refuse(413, texts("body_too_large"), "too large")
            # A slash command has no bracket at all, an activity a dozen: only a body with
            # more openers than the limit can nest past it, so only such a body is measured.
            content_type = request.content_type
            if (
                openers(body, content_type) > max_depth
                and body_depth(body, content_type) > max_depth
            ):
                return _refuse(400, texts("bad_request"), "nested too deeply")
        return await handler(request)

    return middleware


def _refuse(status: int, text: str, why: str) -> web.Response:
    log.warning("refused a request body: %s", why)
    return web.Response(status=status, text=text)
