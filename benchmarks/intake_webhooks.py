"""ATS webhooks through the real server: signed Greenhouse rejections per second, and the
latency of one delivery, on a SQLite file (or DATABASE_URL), recruiters already known.

    python benchmarks/intake_webhooks.py [--deliveries 400] [--concurrency 10]

Each delivery is the documented reject_candidate sample with its own application id, signed
as Greenhouse signs it; about a third are redeliveries of one already handled (new event id),
as Greenhouse's retries and bulk actions produce. Prints deliveries/s and p50/p95/max in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bot.coach import Coach  # noqa: E402
from bot.messages import Identity, Inbound  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wiring import build_web_app  # noqa: E402
from conversation_guides import GuideBook  # noqa: E402
from storage.database import open_database  # noqa: E402

SAMPLE = ROOT / "tests" / "intake" / "greenhouse_reject_candidate.json"
EMAILS = [f"recruiter{n}@example.com" for n in range(10)]


async def main(deliveries: int, concurrency: int) -> None:
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
    settings = Settings(DATABASE_URL=url, COACH_ADMINS="UADMIN", COACH_PUBLIC_URL="https://x")
    engine, sessions = await open_database(url)
    coach = Coach(sessions, GuideBook(), settings)
    admin = Identity(platform="console", workspace="bench", user="UADMIN", language="en")
    [reply] = await coach.handle(admin, Inbound(text="integration greenhouse rotate"))
    path = "/webhooks/" + reply.text.split("/webhooks/", 1)[1].split()[0]
    secret = reply.text.split("Signing secret: ", 1)[1].split()[0]
    for n, email in enumerate(EMAILS):
        await coach.intake.remember_email(admin.model_copy(update={"user": f"U{n}"}), email)
    template = json.loads(SAMPLE.read_text("utf-8"))
    server = TestServer(build_web_app(settings, coach, engine), host="127.0.0.1")
    await server.start_server()
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(deliveries):
        queue.put_nowait(n)

    async def worker(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            data = json.loads(json.dumps(template))
            application = data["payload"]["application"]
            application["id"] = n if n % 3 else max(n - 1, 0)  # a third are redeliveries
            application["candidate"]["recruiter"] = {"email": EMAILS[n % len(EMAILS)]}
            body = json.dumps(data).encode()
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers = {"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": f"e{n}"}
            started = time.perf_counter()
            async with http.post(server.make_url(path), data=body, headers=headers) as response:
                assert response.status == 200, await response.text()
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    await server.close()
    await engine.dispose()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"database: {url.split(':', 1)[0]}, deliveries: {deliveries}, concurrency: {concurrency}")
    print(f"throughput: {deliveries / elapsed:.0f} deliveries/s")
    print(
        f"latency ms: p50 {statistics.median(latencies):.1f}, p95 {p95:.1f}, "
        f"max {latencies[-1]:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.deliveries, options.concurrency))
