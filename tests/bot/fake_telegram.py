"""A loopback Bot API for tests: answers the methods eudesk uses, records calls, injects updates.

For the outbox tests it also fails a share of sends on request (5xx, or 429 with retry_after),
records every sendMessage attempt with its moment and answer, and counts deliveries per
(chat, text) and per token (a worker process each, when several share the fake).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import BodyPartReader, web

BOT_ID = 1000
BOT_USERNAME = "eudesk_test_bot"
LONG_POLL_CAP = 2.0  # seconds a getUpdates may wait here, whatever the client asks
WAIT = 10.0  # seconds a test waits for the bot to call; a bug fails fast instead of hanging


@dataclass(slots=True)
class Call:
    """One request the bot made: the method, its fields (JSON-decoded) and any uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field: (filename, bytes)
    result: Any = None  # what the fake answered ("result" of a successful call)


@dataclass(frozen=True, slots=True)
class Send:
    """One sendMessage attempt: to whom, by which token, when (time.monotonic), and the answer."""

    chat_id: int
    text: str
    token: str
    at: float
    status: int  # 200 when delivered; 429, 5xx, 4xx when refused
    retry_after: int = 0  # of a 429


def _decode(value: str) -> Any:
    """PTB sends every field as JSON text in a form; plain strings stay strings."""
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeBotApi:
    """Speaks /bot<TOKEN>/<method> on 127.0.0.1; only `token` and `more_tokens` are accepted
    (others get 401). Worker processes given a token each can be told apart by it."""

    def __init__(self, token: str, *, more_tokens: Collection[str] = ()) -> None:
        self.token = token
        self.tokens = frozenset({token, *more_tokens})
        self.calls: list[Call] = []
        self.sends: list[Send] = []  # every sendMessage attempt, in the order answered
        self.deliveries: Counter[tuple[int, str]] = Counter()  # (chat, text): times delivered
        self.delivered_by: Counter[str] = Counter()  # token: messages delivered
        self._flaky: tuple[random.Random, float, int] | None = None
        self.rate_limited_sends = 0
        self.retry_after = 1
        self.blocked_chats: set[int] = set()
        self.missing_chats: set[int] = set()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(500)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)  # its lines hold the token: not ours
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # What tests do ---------------------------------------------------------------------------

    async def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; returns it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def flaky(self, rng: random.Random, rate: float, *, retry_after: int = 1) -> None:
        """Refuse that share of sendMessage calls: half with a 5xx, half with a 429."""
        self._flaky = (rng, rate, retry_after)

    def early_sends(self) -> list[Send]:
        """Sends to a chat made before the retry_after of an earlier 429 to it had elapsed."""
        blocked_until: dict[int, float] = {}
        early = []
        for send in self.sends:
            if send.at < blocked_until.get(send.chat_id, float("-inf")):
                early.append(send)
            if send.status == 429:
                until = send.at + send.retry_after
                blocked_until[send.chat_id] = max(blocked_until.get(send.chat_id, until), until)
        return early

    def of(self, method: str, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method == method]

    async def wait_calls(self, method: str, *, since: int = 0, count: int = 1) -> list[Call]:
        """The calls of a method after index `since`, once there are `count` of them."""

        def enough() -> bool:
            return len(self.of(method, since)) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), WAIT)
        return self.of(method, since)

    # The Bot API -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename:
                    files[part.name] = (part.filename, bytes(await part.read()))
                else:
                    params[part.name] = _decode(await part.text())
        else:
            form = await request.post()
            params = {k: _decode(str(v)) for k, v in form.items()}
        answer = getattr(self, f"_api_{method}", None)
        token = request.match_info["token"]
        if token not in self.tokens:
            result: Any = _error(401, "Unauthorized")
        elif answer is None:
            result = _error(404, "Not Found: method not found")
        else:
            result = await answer(params)
        if method != "getUpdates":  # polls are noise for tests; everything else is recorded
            async with self._changed:
                ok = not isinstance(result, web.Response)
                self.calls.append(Call(method, params, files, result if ok else None))
                if method == "sendMessage" and token in self.tokens:
                    self._record_send(params, token, result)
                self._changed.notify_all()
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "eudesk",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        deadline = time.monotonic() + wait
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and (left := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    break
            return list(self._updates)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        if self.rate_limited_sends > 0:
            self.rate_limited_sends -= 1
            return _too_many(self.retry_after)
        if self._flaky is not None:
            rng, rate, retry_after = self._flaky
            if rng.random() < rate:
                if rng.random() < 0.5:
                    return _error(rng.choice([500, 502]), "Internal Server Error")
                return _too_many(retry_after)
        return self._message(chat_id, text=params["text"])

    def _record_send(self, params: dict[str, Any], token: str, result: Any) -> None:
        chat_id, text = int(params["chat_id"]), str(params["text"])
        status, retry_after = 200, 0
        if isinstance(result, web.Response):
            status = result.status
            assert isinstance(result.body, bytes)  # json_response: the encoded body
            retry_after = json.loads(result.body).get("parameters", {}).get("retry_after", 0)
        else:
            self.deliveries[chat_id, text] += 1
            self.delivered_by[token] += 1
        self.sends.append(Send(chat_id, text, token, time.monotonic(), status, retry_after))

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._message(int(params["chat_id"]), text=params["text"])
        message["message_id"] = int(params["message_id"])
        return message

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        document = {"file_id": "F1", "file_unique_id": "U1", "file_name": "file"}
        return self._message(chat_id, document=document)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _refusal(self, chat_id: int) -> web.Response | None:
        if chat_id in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            return _error(400, "Bad Request: chat not found")
        return None

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "eudesk",
                "username": BOT_USERNAME,
            },
            **content,
        }


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _too_many(retry_after: int) -> web.Response:
    return _error(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


# Updates as Telegram sends them ------------------------------------------------------------------


def user(user_id: int, name: str = "Ana", language: str | None = "sr") -> dict[str, Any]:
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": name}
    if language:
        found["language_code"] = language
    return found


def chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Ana"}
    return {"id": chat_id, "type": "supergroup", "title": "EU projects"}


def message_update(
    text: str, user_id: int, chat_id: int | None = None, reply_to: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A text message (optionally replying to another); a /command gets its bot_command entity."""
    message: dict[str, Any] = {
        "message_id": int(time.monotonic_ns() % 1_000_000),
        "date": int(time.time()),
        "chat": chat(chat_id if chat_id is not None else user_id),
        "from": user(user_id),
        "text": text,
    }
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": message}


def callback_update(data: str, user_id: int, message: dict[str, Any]) -> dict[str, Any]:
    """A press on a button under `message` (a sendMessage result the fake returned)."""
    return {
        "callback_query": {
            "id": f"cb{time.monotonic_ns()}",
            "from": user(user_id),
            "chat_instance": "42",
            "data": data,
            "message": message,
        }
    }


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)
        self.balanced = self.balanced and tag in {"b", "i"}  # the only tags eudesk writes

    def handle_endtag(self, tag: str) -> None:
        self.balanced = self.balanced and bool(self.open) and self.open.pop() == tag


def well_formed(html: str) -> bool:
    """Every tag eudesk may write, opened and closed in order."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.balanced and not parser.open
