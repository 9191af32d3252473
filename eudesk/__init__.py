"""eudesk: chat-ops bot and notification service of the Sector for Interregional Cooperation and European Integration."""

__version__ = "0.1.0"
