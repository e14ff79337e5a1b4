"""The embedded AWS of `make run`: moto's server on loopback, answering one request at a time, its own log in a file.

moto's backends are plain dicts with no locking, and `make run` sends it requests from several threads at once
(the API's requests, the demo history, the face-check consumer, the scheduler, the snapshot). A TransactWriteItems
deep-copies every table it touches; when another thread writes that table meanwhile, the copy fails with
"RuntimeError: dictionary changed size during iteration", moto answers 500, botocore retries, and werkzeug printed
the traceback into the newcomer's console. moto's work is Python under the GIL, so running its requests one after
another costs next to nothing and removes the race; REQUEST_LOCK is also what the snapshot holds while it reads
the tables in process. SQS is left out: the face-check consumer's receive waits up to a second for a message
(a long poll), and holding the lock that long, over and over, would starve every other request.

Whatever the embedded server still has to say (a moto error on a request the app sent badly) goes to
`embedded-aws.log` beside the local state, not to the console.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer

REQUEST_LOCK = threading.RLock()
LOG = logging.getLogger('hadir.embedded_aws')
UNLOCKED_SERVICES = frozenset({'sqs'})
# SigV4's credential scope, in the Authorization header or a presigned URL: key/date/region/service/aws4_request
_SCOPE = re.compile(r'Credential=[^/&]+(?:/|%2F)[^/&]+(?:/|%2F)[^/&]+(?:/|%2F)([a-z0-9-]+)(?:/|%2F)', re.IGNORECASE)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def one_at_a_time(app: WsgiApp, lock: threading.RLock = REQUEST_LOCK) -> WsgiApp:
    """`app` answering one request at a time (but SQS's, see the module docstring): the whole body is made while
    the lock is held."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if service_of(environ) in UNLOCKED_SERVICES:
            return app(environ, start_response)
        with lock:
            response = app(environ, start_response)
            try:
                return [b''.join(response)]
            finally:
                close = getattr(response, 'close', None)
                if close is not None:
                    close()

    return serve


def service_of(environ: dict[str, Any]) -> str | None:
    """The AWS service a signed request is for (s3, dynamodb, sqs, ...); None when it names none."""
    scope = _SCOPE.search(environ.get('HTTP_AUTHORIZATION', '')) or _SCOPE.search(environ.get('QUERY_STRING', ''))
    return scope.group(1).lower() if scope else None


class _LoggedHandler(MotoRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        LOG.log(logging.ERROR if type == 'error' else logging.DEBUG, message, *args)


class _LoggedServer(ThreadedWSGIServer):
    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        LOG.log(logging.ERROR if type == 'error' else logging.DEBUG, message, *args)


class EmbeddedAws:
    """moto's server on `port` of 127.0.0.1 in a daemon thread (what moto's ThreadedMotoServer does), with its
    requests answered one at a time and its log written to `log_file` (None: the log stays silent)."""

    def __init__(self, port: int, log_file: Path | None = None, host: str = '127.0.0.1') -> None:
        self._host, self._port, self._log_file = host, port, log_file
        self._server: ThreadedWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        _log_to(self._log_file)
        app = one_at_a_time(DomainDispatcherApplication(create_backend_app))
        self._server = _LoggedServer(self._host, self._port, app, handler=_LoggedHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name='hadir-embedded-aws', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()


def _log_to(log_file: Path | None) -> None:
    LOG.propagate = False  # never the console
    for handler in list(LOG.handlers):
        LOG.removeHandler(handler)
        handler.close()
    if log_file is None:
        LOG.addHandler(logging.NullHandler())
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding='utf-8')
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(message)s'))
    LOG.addHandler(handler)
    LOG.setLevel(logging.WARNING)
