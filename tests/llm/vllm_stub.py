"""A local stand-in for a vLLM server's LoRA routes, on 127.0.0.1, for tests of ``adapters publish``.

vLLM needs a GPU, so the tests check the exact requests writer-app sends
against this server, which answers the way vLLM's ``OpenAIServingModels``
does (``vllm/entrypoints/openai/serving_models.py``): a load returns a
plain-text "Success: …" line, an adapter name loaded twice is a 400, an
unknown one on unload a 404 with vLLM's JSON error, and a server started
without ``VLLM_ALLOW_RUNTIME_LORA_UPDATING`` has no such routes at all
(FastAPI's ``{"detail": "Not Found"}``). ``/v1/models`` lists the published
adapters after the base model, and a completion answers with the model name
it was asked for, so a test sees which model the assistant wrote with.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


class VllmStub:
    """``runtime_lora``: whether the load/unload routes exist; ``api_key``: the key it demands ("" for none)."""

    def __init__(self, runtime_lora: bool = True, api_key: str = "", max_lora_rank: int = 16) -> None:
        self.runtime_lora = runtime_lora
        self.api_key = api_key
        self.max_lora_rank = max_lora_rank
        self.loaded: dict[str, str] = {}  # lora_name -> lora_path
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *_args) -> None:
                pass

            def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str, kind: str) -> None:
                self._send(status, {"object": "error", "message": message, "type": kind, "param": None,
                                    "code": status})

            def _authorised(self) -> bool:
                if stub.api_key and self.headers.get("Authorization", "") != f"Bearer {stub.api_key}":
                    self._send(401, {"error": "Unauthorized"})
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                stub.requests.append({"method": "GET", "path": self.path,
                                      "auth": self.headers.get("Authorization", "")})
                if not self._authorised():
                    return
                if self.path != "/v1/models":
                    self._send(404, {"detail": "Not Found"})
                    return
                cards = [{"id": BASE_MODEL, "object": "model"}]
                cards += [{"id": name, "object": "model", "root": path, "parent": BASE_MODEL}
                          for name, path in stub.loaded.items()]
                self._send(200, {"object": "list", "data": cards})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.loads(raw or b"{}")
                stub.requests.append({"method": "POST", "path": self.path, "body": body,
                                      "content_type": self.headers.get("Content-Type", ""),
                                      "auth": self.headers.get("Authorization", "")})
                if not self._authorised():
                    return
                if self.path in ("/v1/load_lora_adapter", "/v1/unload_lora_adapter") and not stub.runtime_lora:
                    self._send(404, {"detail": "Not Found"})
                elif self.path == "/v1/load_lora_adapter":
                    self._load(body)
                elif self.path == "/v1/unload_lora_adapter":
                    self._unload(body)
                elif self.path == "/v1/completions":
                    self._complete(body)
                else:
                    self._send(404, {"detail": "Not Found"})

            def _load(self, body: dict) -> None:
                name, path = body.get("lora_name"), body.get("lora_path")
                if not name or not path:
                    self._error(400, "Both 'lora_name' and 'lora_path' must be provided.", "InvalidUserInput")
                elif name in stub.loaded:
                    self._error(400, f"The lora adapter '{name}' has already been loaded.", "InvalidUserInput")
                elif path.startswith("/nowhere"):
                    self._error(404, f"Loading lora {name} failed: No adapter found for {path}", "NotFoundError")
                elif path.endswith("big-rank"):
                    self._error(400, f"LoRA rank 64 is greater than max_lora_rank {stub.max_lora_rank}.",
                                "BadRequestError")
                else:
                    stub.loaded[name] = path
                    self._send(200, f"Success: LoRA adapter '{name}' added successfully.", "text/plain")

            def _unload(self, body: dict) -> None:
                name = body.get("lora_name")
                if name not in stub.loaded:
                    self._error(404, f"The lora adapter '{name}' cannot be found.", "NotFoundError")
                else:
                    del stub.loaded[name]
                    self._send(200, f"Success: LoRA adapter '{name}' removed successfully.", "text/plain")

            def _complete(self, body: dict) -> None:
                model = body.get("model")
                if model != BASE_MODEL and model not in stub.loaded:
                    self._error(404, f"The model `{model}` does not exist.", "NotFoundError")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                text = f" The lamp was lit by {model}."
                chunk = {"choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, name="vllm-stub", daemon=True)

    def posts(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == path]

    def __enter__(self) -> VllmStub:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
