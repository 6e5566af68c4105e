"""``writer-app adapters …``: the personal adapter on a server.

- ``export-gguf NAME [--out FILE]`` converts a trained adapter to a GGUF LoRA
  for llama.cpp (``llama-server --lora FILE``, ``python -m llama_cpp.server
  --lora_path FILE``), see ``llm.gguf_lora``;
- ``publish NAME --server URL`` registers the adapter folder with a vLLM
  server started with runtime LoRA loading, and makes the profile write with
  it (the server model becomes the adapter's name); ``unpublish`` undoes it.
  See ``llm.server_adapters``.

NAME is a registered adapter's name or an adapter folder, as for
``generate --adapter``. Heavy imports (torch, gguf) stay inside the handlers.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.paths import display_path, profile_paths, require_dir

GGUF_FILE_NAME = "adapter_model.gguf"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    from writer_app.cli_adapter_import import register_import

    adapters = subparsers.add_parser("adapters", parents=[common], help="trained style adapters elsewhere: "
                                     "import one trained on another machine, export a GGUF LoRA for llama.cpp, "
                                     "publish to a vLLM server")
    verbs = adapters.add_subparsers(dest="adapters_command", metavar="ACTION", required=True)
    register_import(verbs, common)

    export = verbs.add_parser("export-gguf", parents=[common], help="convert an adapter to a GGUF LoRA file "
                              "for llama.cpp's server (--lora FILE)")
    export.add_argument("adapter", metavar="NAME", help="a registered adapter's name or an adapter folder")
    export.add_argument("--out", metavar="FILE", help=f"where to write it (default: {GGUF_FILE_NAME} in the "
                        "adapter's folder)")
    export.add_argument("--base", metavar="FOLDER", help="the base model's folder (only its config.json is read; "
                        "default: the model the adapter was trained on)")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    export.set_defaults(func=cmd_export_gguf)

    publish = verbs.add_parser("publish", parents=[common], help="load an adapter into a vLLM server started "
                               "with --enable-lora, and write with it")
    publish.add_argument("adapter", metavar="NAME", help="a registered adapter's name or an adapter folder")
    _server_options(publish)
    publish.add_argument("--server-path", metavar="FOLDER", help="the adapter folder as the server's machine "
                         "sees it (default: this folder's path, right when the server runs here or shares the disk)")
    publish.add_argument("--keep-settings", action="store_true", help="only load it; do not make the profile "
                         "write with it")
    publish.set_defaults(func=cmd_publish)

    unpublish = verbs.add_parser("unpublish", parents=[common], help="unload a published adapter from the "
                                 "vLLM server")
    unpublish.add_argument("adapter", metavar="NAME", help="the adapter's name (as published)")
    _server_options(unpublish)
    unpublish.set_defaults(func=cmd_unpublish)


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="URL", help="the vLLM server, e.g. http://gpu-box:8000/v1 (default: the "
                        "profile's server); the API key comes from the settings or $WRITER_APP_SERVER_API_KEY")
    parser.add_argument("--served-name", metavar="NAME", help="the model name it is served under (default: the "
                        "adapter's name)")


def _find_adapter(args: argparse.Namespace, value: str) -> tuple[Path, str, dict[str, Any]]:
    """(folder, name, library metadata) for a registered adapter's name or an adapter folder."""
    path = Path(value).expanduser()
    if os.path.lexists(path):
        folder = require_dir(path, "the adapter folder")
        return folder, folder.resolve().name, {}
    paths = profile_paths(args.data_dir)
    if paths.database.exists():
        from writer_app.cli_library import open_for_reading

        with open_for_reading(paths) as lib:
            adapter = lib.get_adapter_by_name(value)
        if adapter is not None:
            meta = dict(adapter.metadata or {})
            meta.setdefault("base_model", adapter.base_model)
            return Path(adapter.path), adapter.name, meta
    raise UserError(f"no adapter folder or registered adapter called “{display_path(value)}”")


def _check_folder(folder: Path, purpose: str) -> dict[str, Any]:
    """The adapter's config, once its folder and safetensors weights are known to be there."""
    from writer_app.llm.adapters import read_adapter_config, safetensors_weights

    config = read_adapter_config(folder)
    safetensors_weights(folder, purpose)
    return config


def _base_folder(args: argparse.Namespace, config: dict[str, Any], meta: dict[str, Any]) -> Path:
    """The base model's folder: --base, else the one recorded at training, else the one named in the config."""
    from writer_app.llm.catalogue import EMBEDDED_SETTING, resolve_model
    from writer_app.llm.embedded import EMBEDDED_MODEL_NAME

    if args.base:
        return require_dir(Path(args.base).expanduser(), "the base model folder")
    recorded = str(meta.get("base_model_path") or "")
    if recorded and (Path(recorded) / "config.json").is_file():
        return Path(recorded)
    named = str(config.get("base_model_name_or_path") or "")
    for setting in (str(meta.get("base_model") or ""), named):
        if not setting:
            continue
        if setting.rstrip("/").rsplit("/", 1)[-1].lower() == EMBEDDED_MODEL_NAME.lower():
            setting = EMBEDDED_SETTING
        try:
            return resolve_model(setting, profile_paths(args.data_dir).model_cache).folder
        except UserError:
            continue
    raise UserError(f"the base model of this adapter ({named or 'not recorded'}) is not on this machine; "
                    "pass --base FOLDER (a folder with its config.json)")


def cmd_export_gguf(args: argparse.Namespace) -> int:
    from writer_app.llm.gguf_lora import base_config_of, convert_adapter

    folder, name, meta = _find_adapter(args, args.adapter)
    config = _check_folder(folder, "converted to GGUF")
    out = Path(args.out).expanduser() if args.out else folder / GGUF_FILE_NAME
    if out.exists() and not out.is_dir() and not args.force:  # before resolving (converting) the base model
        raise UserError(f"{display_path(out)} already exists; pass --force to replace it")
    base = base_config_of(_base_folder(args, config, meta))
    result = convert_adapter(folder, base, out, overwrite=args.force, adapter_name=name)
    print(f"wrote {display_path(result.path)}: {result.tensors} LoRA pairs, rank {result.rank}, "
          f"alpha {result.alpha:g}, {result.bytes / 2**20:.1f} MB (float32)")
    print(f"serve it with llama.cpp: llama-server -m BASE.gguf --lora {display_path(result.path)}")
    return 0


def _server(args: argparse.Namespace, app: Any) -> Any:
    from writer_app.llm.engine import server_config_from_settings

    config = server_config_from_settings(app, args.server)
    if config is None:
        raise UserError("say which server: --server URL (a vLLM server started with --enable-lora)")
    return config


def cmd_publish(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from writer_app.llm.server_adapters import publish_adapter
    from writer_app.settings import load_settings, save_settings
    from writer_app.storage.adapters import clean_name

    folder, name, _meta = _find_adapter(args, args.adapter)
    _check_folder(folder, "published to a server")
    served = clean_name(args.served_name if args.served_name is not None else name)
    paths = profile_paths(args.data_dir)
    app = load_settings(paths)
    config = _server(args, app)
    server_path = args.server_path or str(folder.resolve())
    said = publish_adapter(config, served, server_path)
    print(f"published “{served}” on {config.url}" + (f" ({said})" if said else ""))
    if args.keep_settings:
        print(f"write with it: writer-app generate --server {config.url} --server-model \"{served}\" …")
        return 0
    save_settings(paths.ensure(), replace(app, server_url=config.url, server_model=served))
    print(f"the assistant now writes with it: server {config.url}, model “{served}” (Settings ▸ Server)")
    return 0


def cmd_unpublish(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from writer_app.llm.server_adapters import unpublish_adapter
    from writer_app.settings import load_settings, save_settings
    from writer_app.storage.adapters import clean_name

    served = clean_name(args.served_name if args.served_name is not None else args.adapter)
    paths = profile_paths(args.data_dir)
    app = load_settings(paths)
    config = _server(args, app)
    unpublish_adapter(config, served)
    print(f"unpublished “{served}” from {config.url}")
    same_server = args.server is None or args.server.strip() == app.server_url.strip()
    if same_server and app.server_model == served:  # the profile wrote with it: back to the base model
        save_settings(paths.ensure(), replace(app, server_model=""))
        print("the assistant now writes with the server's base model")
    return 0
