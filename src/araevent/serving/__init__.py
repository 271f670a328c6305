"""``araevent serve``: the model behind HTTP (needs the ``serve`` extra: FastAPI, uvicorn).

:func:`~araevent.serving.app.create_app` builds the service, :mod:`.batching` gathers the
texts of concurrent requests into one model call, :mod:`.limits` says what a request may ask.
"""
