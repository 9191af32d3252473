"""The shell: settings, composition root, CLI, transports and the HTTP server."""
