"""A loopback Bot API that enforces Telegram's flood limits, for the fan-out benchmark.

Only accepted sends count, as on Telegram: at most `overall` sendMessage calls in any sliding
window of one second, and at most `per_chat` per chat in any second; anything over either limit
gets Telegram's 429 with `retry_after`. Per chat it keeps the texts it accepted, in arrival
order, so a run can check that nothing was lost, repeated or reordered.

Run it in its own process (`python -m bench.fake_limited_bot_api --token T`): it prints one JSON
line with its port, serves until SIGTERM, and answers `GET /stats` (`?texts=1` adds the texts
per chat). A separate process keeps its bookkeeping out of the measured process's memory, and
its clock off the measured event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import signal
import sys
import time
from collections import deque
from typing import Any

from aiohttp import ClientSession, web

BOT_ID = 2000
BOT_USERNAME = "eudesk_bench_bot"
LONG_POLL_CAP = 5.0  # seconds a getUpdates may wait here: a polling transport idles, no updates
WINDOW = 1.0  # seconds: Telegram's limits are per second overall and per chat


class LimitedBotApi:
    """sendMessage under Telegram's limits, plus the calls a transport makes when it starts."""

    def __init__(self, token: str, *, overall: int = 30, per_chat: int = 1) -> None:
        self.token = token
        self._overall: deque[float] = deque(maxlen=overall)  # the last accepted send moments
        self._per_chat_limit = per_chat
        self._chats: dict[int, deque[float]] = {}
        self.texts: dict[int, list[str]] = {}
        self.accepted = 0
        self.refused_overall = 0
        self.refused_per_chat = 0
        self.first_accepted: float | None = None
        self.last_accepted: float | None = None
        self.per_second: list[int] = []  # accepted sends in each second since the first one
        self._message_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)  # its lines would hold the token
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stats(self, *, texts: bool = False) -> dict[str, Any]:
        """What was accepted and refused; the seconds from first to last accepted send."""
        span = None
        if self.first_accepted is not None and self.last_accepted is not None:
            span = self.last_accepted - self.first_accepted
        result: dict[str, Any] = {
            "accepted": self.accepted,
            "refused_overall": self.refused_overall,
            "refused_per_chat": self.refused_per_chat,
            "too_many_requests": self.refused_overall + self.refused_per_chat,
            "span_s": span,
            "chats": len(self.texts),
            "per_second": self.per_second,
        }
        if texts:
            result["texts"] = {str(chat): sent for chat, sent in self.texts.items()}
        return result

    # The limits --------------------------------------------------------------------------------

    def _refusal(self, chat_id: int, now: float) -> float | None:
        """Seconds until this send would be allowed, or None when it is allowed now."""
        chat = self._chats.get(chat_id)
        if chat is not None and len(chat) == chat.maxlen and now - chat[0] < WINDOW:
            self.refused_per_chat += 1
            return chat[0] + WINDOW - now
        overall = self._overall
        if len(overall) == overall.maxlen and now - overall[0] < WINDOW:
            self.refused_overall += 1
            return overall[0] + WINDOW - now
        return None

    def _accept(self, chat_id: int, text: str, now: float) -> None:
        self._overall.append(now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = deque(maxlen=self._per_chat_limit)
        chat.append(now)
        self.texts.setdefault(chat_id, []).append(text)
        self.accepted += 1
        if self.first_accepted is None:
            self.first_accepted = now
        self.last_accepted = now
        second = int(now - self.first_accepted)
        self.per_second.extend([0] * (second + 1 - len(self.per_second)))
        self.per_second[second] += 1

    # The Bot API -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        if request.content_type == "application/json":
            params: dict[str, Any] = dict(await request.json())
        else:
            form = await request.post()
            params = {key: _decode(str(value)) for key, value in form.items()}
        if method == "sendMessage":
            return self._send_message(params)
        if method == "getMe":
            return _ok(_bot())
        if method == "getUpdates":
            # Nobody writes to the bench bot: hold the long poll, then answer with nothing.
            await asyncio.sleep(min(float(params.get("timeout") or 0), LONG_POLL_CAP))
            return _ok([])
        if method in ("deleteWebhook", "setMyCommands"):
            return _ok(True)
        return _error(404, "Not Found: method not found")

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        # The moment is taken before anything awaits, so it is when the request was served.
        now = time.monotonic()
        chat_id = int(params["chat_id"])
        wait = self._refusal(chat_id, now)
        if wait is not None:
            retry_after = max(1, math.ceil(wait))  # Telegram answers in whole seconds
            return _error(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        text = str(params["text"])
        self._accept(chat_id, text, now)
        return _ok(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": _bot(),
                "text": text,
            }
        )

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats(texts=request.query.get("texts") == "1"))


def _decode(value: str) -> Any:
    """PTB sends form fields; the structured ones as JSON text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _bot() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "eudesk bench", "username": BOT_USERNAME}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


class LimitedBotApiProcess:
    """The fake in a child process, from the measuring side: start, base URL, stats, stop."""

    def __init__(self, process: asyncio.subprocess.Process, token: str, port: int) -> None:
        self._process = process
        self.token = token
        self.port = port

    @classmethod
    async def start(
        cls, token: str, *, overall: int = 30, per_chat: int = 1
    ) -> LimitedBotApiProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.fake_limited_bot_api", "--token", token,
            "--overall", str(overall), "--per-chat", str(per_chat),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        if not line:
            raise RuntimeError("the fake Bot API did not start")
        return cls(process, token, int(json.loads(line)["port"]))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stats(self, *, texts: bool = False) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/stats" + ("?texts=1" if texts else "")
        async with ClientSession() as session, session.get(url) as response:
            return dict(await response.json())

    async def stop(self) -> None:
        if self._process.returncode is None:
            self._process.terminate()
        await self._process.wait()


async def serve(token: str, overall: int, per_chat: int) -> None:
    """Serve until SIGTERM or SIGINT; the port goes to stdout as one JSON line."""
    api = LimitedBotApi(token, overall=overall, per_chat=per_chat)
    await api.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(json.dumps({"port": api.port}), flush=True)
    try:
        await stop.wait()
    finally:
        await api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--token", required=True)
    parser.add_argument("--overall", type=int, default=30, help="sends per second, all chats")
    parser.add_argument("--per-chat", type=int, default=1, help="sends per second, one chat")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.token, args.overall, args.per_chat))


if __name__ == "__main__":
    main()
