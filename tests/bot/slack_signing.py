"""Requests as Slack signs them (v0 HMAC-SHA256), and the payloads eudesk listens to."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """X-Slack-Signature = "v0=" + HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def slash_command(
    text: str, *, team: str, user: str, channel: str, response_url: str
) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user,
            "user_name": "demo",
            "command": "/eudesk",
            "text": text,
            "api_app_id": "A0EUDESK",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    return body, FORM


def event(
    kind: str, text: str, *, team: str, user: str, channel: str, event_id: str, **extra: Any
) -> tuple[str, dict[str, str]]:
    """An Events API callback (app_mention, message)."""
    inner = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": "1700000001.000100",
        "channel": channel,
        "event_ts": "1700000001.000100",
        "team": team,
        **extra,
    }
    body = {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A0EUDESK",
        "event": inner,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000001,
        "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True}],
    }
    return json.dumps(body), JSON


def block_action(
    value: str, *, team: str, user: str, channel: str, response_url: str
) -> tuple[str, dict[str, str]]:
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "test"},
        "user": {"id": user, "username": "demo", "team_id": team},
        "api_app_id": "A0EUDESK",
        "token": "legacy-verification-token",
        "container": {"type": "message", "channel_id": channel, "message_ts": "1700000000.1"},
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": "eudesk_btn_1",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Next"},
                "value": value,
                "action_ts": "1700000002.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}), FORM
