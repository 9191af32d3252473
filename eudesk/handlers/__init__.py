"""Answering: message model, router, dispatcher (the error boundary), one module per feature, i18n."""
