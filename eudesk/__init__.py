"""eudesk: chat-ops bot and notification service for EU integration work in AP Vojvodina."""

__version__ = "0.1.0"
