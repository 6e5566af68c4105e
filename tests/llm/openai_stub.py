"""A tiny OpenAI-compatible server on 127.0.0.1 that misbehaves on purpose.

For the failures a real llama.cpp server will not produce on demand: a key it
refuses (401/403), a stream that stalls, one that is not JSON, one cut off
before its end. Everything else is tested against the real llama.cpp server
(``tests/llm/llama_server.py``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "stub-model"


class StubServer:
    """``mode``: "ok", "unauthorized", "forbidden", "stall", "malformed", "truncated", "context"."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.release = threading.Event()  # a stalled answer goes on when this is set
        self.requests: list[dict] = []
        self.disconnected = threading.Event()  # the client closed a stalled answer's connection
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *_args) -> None:
                pass

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _refuse(self) -> bool:
                if stub.mode in ("unauthorized", "forbidden"):
                    status = 401 if stub.mode == "unauthorized" else 403
                    self._json(status, {"error": {"message": "Invalid API key", "type": "auth"}})
                    return True
                return False

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
                if self._refuse():
                    return
                self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization", ""),
                                      "body": body})
                if self._refuse():
                    return
                if stub.mode == "context":
                    self._json(400, {"error": {"message": "This model's maximum context length is 2048 tokens, "
                                               "however you requested 5000 tokens", "type": "invalid_request_error"}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                chat = self.path.endswith("/chat/completions")

                def piece(text: str, finish: str | None = None) -> bytes:
                    choice = {"index": 0, "finish_reason": finish}
                    choice.update({"delta": {"content": text}} if chat else {"text": text})
                    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()

                self.wfile.write(b": keep-alive\n\n" + piece("The rain "))
                self.wfile.flush()
                if stub.mode == "malformed":
                    self.wfile.write(b"data: {this is not json\n\n")
                elif stub.mode == "truncated":
                    self.wfile.write(piece("kept falling"))  # and then the connection just ends
                elif stub.mode == "stall":
                    while not stub.release.wait(0.05):
                        if _peer_closed(self.connection):
                            stub.disconnected.set()
                            return
                    self.wfile.write(piece("at last.", "stop") + b"data: [DONE]\n\n")
                else:
                    self.wfile.write(piece("kept falling.", "stop") + b"data: [DONE]\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def _peer_closed(sock) -> bool:
    """True once the client has closed its end (a read would return end-of-file)."""
    import select
    import socket

    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
