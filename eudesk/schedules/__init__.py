"""Reminders: planner, outbox dispatcher, rate limits, digests and the working-day calendar."""
