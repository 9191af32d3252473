"""Transports turn platform updates into Incoming messages and render Replies back."""
