"""One sentence for the author for each way an OpenAI-compatible server can fail.

Kept apart from ``server_engine`` so the Settings dialog's "Test connection"
and the engine say the same thing about the same failure: the server is
down or the URL is wrong, the key is refused, the model is unknown, the
prompt is too long, the answer stalls, or the stream breaks or is not an
OpenAI stream at all. No message ever contains the API key.
"""

from __future__ import annotations

import json

import httpx

from writer_app.errors import UserError

KEPT = "the text written so far is kept"


class ServerError(UserError):
    """A server failed; ``str()`` is one sentence for the author."""


def _server_message(response: httpx.Response) -> str:
    """The server's own words from an error answer (OpenAI's ``{"error": {"message"}}`` and its cousins)."""
    try:
        body = json.loads(response.read() or b"null")
    except (ValueError, httpx.HTTPError):
        body = None
    message: object = ""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message", "")))
        message = error.get("message", "") if isinstance(error, dict) else error
    if not isinstance(message, str) or not message:
        try:
            message = response.text if not isinstance(message, str) or not message else message
        except (httpx.HTTPError, UnicodeDecodeError):
            message = ""
    return " ".join(str(message).split())[:300]


def looks_like_context_error(message: str) -> bool:
    lowered = message.lower()
    return "context" in lowered and ("token" in lowered or "length" in lowered or "exceed" in lowered)


def from_status(response: httpx.Response, url: str, model: str) -> ServerError:
    """The error for an HTTP error answer (4xx, 5xx) to a request to ``url``."""
    status = response.status_code
    said = _server_message(response)
    detail = f" ({said})" if said else ""
    if status in (401, 403):
        return ServerError(
            f"the server at {url} refused the request (HTTP {status}: "
            f"{'wrong or missing API key' if status == 401 else 'this API key may not use it'}); set the key in "
            "Settings ▸ Server or in the WRITER_APP_SERVER_API_KEY environment variable")
    if looks_like_context_error(said):
        return ServerError(f"the text is too long for the server's model{detail}; select less text, "
                           "or start the server with a longer context")
    if status == 404 or (status == 400 and "model" in said.lower()):
        if model and ("model" in said.lower() or status == 404):
            return ServerError(f"the server at {url} has no model called “{model}”{detail}; "
                               "“Test connection” in the settings lists the ones it serves")
        return ServerError(f"the server at {url} has no OpenAI-compatible API at this address (HTTP {status}); "
                           "check the URL (it usually ends in /v1)")
    if status == 429:
        return ServerError(f"the server at {url} is busy (HTTP 429){detail}; try again in a moment")
    if status >= 500:
        return ServerError(f"the server at {url} failed (HTTP {status}){detail}")
    return ServerError(f"the server at {url} refused the request (HTTP {status}){detail}")


def from_transport(exc: httpx.HTTPError, url: str, streamed: bool, timeout_s: float) -> ServerError:
    """The error for a failed connection; ``streamed`` says some text had already arrived."""
    kept = f"; {KEPT}" if streamed else ""
    if isinstance(exc, httpx.ConnectTimeout):
        return ServerError(f"the server at {url} did not accept a connection within {timeout_s:g} s; "
                           "check that it is running and the URL is right")
    if isinstance(exc, httpx.ConnectError):
        reason = "the connection was refused" if "refused" in str(exc).lower() else "it cannot be reached"
        return ServerError(f"the server at {url} is not answering ({reason}); check that it is running "
                           "and the URL is right")
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        return ServerError(f"the server at {url} sent nothing for {timeout_s:g} s, so writer-app stopped "
                           f"waiting{kept} (a longer timeout is in Settings ▸ Server)")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | httpx.CloseError):
        when = "in the middle of the answer" if streamed else "before answering"
        return ServerError(f"the server at {url} closed the connection {when} (it may have stopped or "
                           f"crashed){kept}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ServerError(f"“{url}” is not a server address writer-app can use; give an http:// or "
                           "https:// URL such as http://127.0.0.1:8080/v1")
    return ServerError(f"talking to the server at {url} failed ({type(exc).__name__}){kept}")


def malformed(url: str, streamed: bool, what: str) -> ServerError:
    kept = f"; {KEPT}" if streamed else ""
    return ServerError(f"the server at {url} sent an answer that is not an OpenAI-compatible stream "
                       f"({what}){kept}")


def truncated(url: str) -> ServerError:
    return ServerError(f"the server at {url} stopped sending before the answer was complete "
                       f"(the stream was cut off); {KEPT}")
