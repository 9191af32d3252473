"""A loopback Slack Web API for tests: the methods eudesk uses, recorded, with 429s on demand."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "xoxb-1111-2222-fake-bot-token"
TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"


@dataclass
class Call:
    """One request the bot made: the method (or "upload", "response_url") and its parameters."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeSlack:
    """Serves /api/<method>, /upload/<file id> and /response/<id> on 127.0.0.1."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error to answer
    _rate_limits: Counter[str] = field(default_factory=Counter)
    _retry_after: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    root: str = ""

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.root}/response/{name}"

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 7) -> None:
        """The next `times` calls of `method` answer 429 with Retry-After."""
        self._rate_limits[method] += times
        self._retry_after[method] = retry_after

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{name}", self._response_url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.root = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self._rate_limits[method] > 0:
            self._rate_limits[method] -= 1
            headers = {"Retry-After": str(self._retry_after[method])}
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=headers
            )
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        return web.json_response({"ok": True, **self._answer(method, params)})

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "url": "https://eudesk-test.slack.com/",
                "team": "Test",
                "user": "eudesk",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
            }
        if method in {"chat.postMessage", "chat.update"}:
            channel = str(params.get("channel", ""))
            ts = f"1700000000.{next(self._ids):06d}"
            return {"channel": channel, "ts": ts, "message": {"text": params.get("text")}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):04d}"
            return {"upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files", "[]"))
            return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {}

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"], "body": body}))
        return web.Response(text=f"OK - {len(body)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await request.json()))
        return web.Response(text="ok")


async def _params(request: web.Request) -> dict[str, Any]:
    """slack_sdk sends JSON for some methods and forms for others."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    else:
        params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return params
