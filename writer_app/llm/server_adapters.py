"""Publishing the personal adapter to a vLLM server, which then serves it as a model of its own.

vLLM loads LoRA adapters at runtime when it is started with ``--enable-lora``
and the environment variable ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``:

    POST /v1/load_lora_adapter    {"lora_name": NAME, "lora_path": FOLDER}
    POST /v1/unload_lora_adapter  {"lora_name": NAME}

After a load, ``GET /v1/models`` lists NAME beside the base model and a
completion request with ``"model": NAME`` writes with the adapter, so the
assistant uses it by setting the profile's server model to NAME (what the
CLI's ``adapters publish`` does). The folder is read by the *server*, so
``lora_path`` is the folder as the server's machine sees it: the local path
when the server runs here or shares the disk, otherwise the place the author
copied the folder to (``--server-path``).

Each failure is one sentence: a 404 from the route itself means the server
was not started with runtime LoRA updating (vLLM registers these routes only
then); a 404 with vLLM's own message means it could not find the folder or
the adapter; a 400 carries vLLM's reason (already loaded, rank above
``--max-lora-rank``, another base model) with a hint where one helps.
"""

from __future__ import annotations

import httpx

from writer_app.errors import UserError
from writer_app.llm import server_errors
from writer_app.llm.engine import ServerConfig
from writer_app.llm.server_engine import _client, api_base

LOAD_PATH = "/load_lora_adapter"
UNLOAD_PATH = "/unload_lora_adapter"
START_HINT = ("start vLLM with --enable-lora and the environment variable VLLM_ALLOW_RUNTIME_LORA_UPDATING=True "
              "(see README: “The personal adapter on a server”)")
_ROUTE_MISSING = {"", "not found"}  # FastAPI's answer for a route that does not exist


def load_request(name: str, server_path: str) -> tuple[str, dict[str, str]]:
    """The endpoint (under the API base) and JSON body that register an adapter folder as ``name``."""
    return LOAD_PATH, {"lora_name": name, "lora_path": server_path}


def unload_request(name: str) -> tuple[str, dict[str, str]]:
    return UNLOAD_PATH, {"lora_name": name}


def publish_adapter(config: ServerConfig, name: str, server_path: str) -> str:
    """Ask the vLLM server at ``config.url`` to load the adapter folder ``server_path`` as ``name``.

    Returns the server's confirmation; raises UserError with one sentence.
    """
    path, body = load_request(name, server_path)
    return _post(config, path, body, name, "load")


def unpublish_adapter(config: ServerConfig, name: str) -> str:
    """Ask the vLLM server to forget the adapter ``name`` (its files stay where they are)."""
    path, body = unload_request(name)
    return _post(config, path, body, name, "unload")


def _post(config: ServerConfig, path: str, body: dict[str, str], name: str, verb: str) -> str:
    base = api_base(config.url)
    client = _client(config)
    try:
        response = client.post(base + path, json=body)
        if response.status_code >= 400:
            raise _refusal(response, base, path, name, verb)
        return " ".join(response.text.split())[:300]
    except httpx.HTTPError as exc:
        raise server_errors.from_transport(exc, base, False, config.connect_timeout_s) from exc
    finally:
        client.close()


def _refusal(response: httpx.Response, base: str, path: str, name: str, verb: str) -> UserError:
    """The sentence for an error answer to a load or unload request."""
    status = response.status_code
    said = server_errors._server_message(response)
    if status in (401, 403) or status >= 500:
        return server_errors.from_status(response, base, "")
    if status in (404, 405) and said.strip().lower() in _ROUTE_MISSING:
        return UserError(f"the server at {base} cannot load adapters at runtime (HTTP {status} for {path}); "
                         f"{START_HINT}")
    lowered = said.lower()
    if verb == "load" and "already" in lowered:
        hint = ("; unpublish it first to load a newer version under the same name, or publish it under "
                "another name")
    elif verb == "unload" and status == 404:
        hint = "; it was not published there (or the server restarted since, which forgets published adapters)"
    elif verb == "load" and status == 404:
        hint = ("; the folder is read by the server, so give --server-path with the folder as the server's "
                "machine sees it")
    elif "rank" in lowered:
        hint = "; start vLLM with a --max-lora-rank at least the adapter's rank"
    else:
        hint = ""
    return UserError(f"the server at {base} refused to {verb} the adapter “{name}” (HTTP {status}: "
                     f"{said or 'no reason given'}){hint}")
