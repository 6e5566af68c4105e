"""What ``writer-app doctor`` reports, as text, shared by the CLI and Help ▸ Diagnostics.

Kept free of Qt so the terminal and the window print the very same lines (a
person pasting the report into a bug report should not have to wonder which
one they ran). torch is imported inside :func:`gpu_memory_gb` and
:func:`doctor_report` only: it takes seconds and holds the GIL, so the editor
calls them through :func:`probe_gpu_memory_gb` and :func:`isolated_doctor_report`,
which run them in a short-lived process (``llm.isolated``), from a background
thread.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import platform
import shutil
import sys
from pathlib import Path

from writer_app.llm import import_ml_stack
from writer_app.paths import ProfilePaths


def gpu_memory_gb() -> float | None:
    """Total memory of the first CUDA GPU in GiB, or None without one (or without torch)."""
    try:
        import_ml_stack()
        import torch
    except ImportError:
        return None
    try:
        if not torch.cuda.is_available():
            return None
        _free, total = torch.cuda.mem_get_info()
    except RuntimeError:  # a broken driver is "no usable GPU", not a crash
        return None
    return total / 2**30


def _gpu_device_visible() -> bool:
    """False when this machine certainly has no GPU torch could use (no device nodes on Linux, a Mac)."""
    if sys.platform == "darwin":
        return False
    if sys.platform.startswith("linux"):
        # NVIDIA (/dev/nvidia*), ROCm (/dev/kfd) and WSL's GPU bridge (/dev/dxg).
        return any(Path(node).exists() for node in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg"))
    return True


def probe_gpu_memory_gb() -> float | None:
    """:func:`gpu_memory_gb` measured in a short-lived process, for the editor.

    Importing torch holds the GIL for seconds; in the editor's process that froze
    typing even from a background thread. Blocks the calling thread (run it in one),
    never the GUI thread. On a machine without GPU device nodes no process is started.
    """
    if not _gpu_device_visible():
        return None
    from writer_app.errors import UserError
    from writer_app.llm import isolated

    try:
        return isolated.call(gpu_memory_gb, timeout=120)
    except (isolated.IsolatedCallFailed, UserError):
        return None  # a broken driver or torch is "no usable GPU", as in gpu_memory_gb


def isolated_doctor_report(paths: ProfilePaths) -> str:
    """:func:`doctor_report` gathered in a short-lived process (Help ▸ Diagnostics; see above)."""
    from writer_app.llm import isolated

    return str(isolated.call(doctor_report, paths))


def _cpu_decoding() -> str:
    """What a CPU model decodes with under quantization "auto" (why a CPU is fast or slow)."""
    from writer_app.llm.step_decoder import int4_available
    from writer_app.llm.weights import cpu_has_bf16

    if not cpu_has_bf16():
        return "fp32 through transformers (this CPU has no bf16 instructions)"
    if not int4_available():
        return "int8 weights (this torch has no int4 CPU kernel)"
    return "int4 weights (step decoder; bf16 instructions present)"


def _torch_lines() -> tuple[list[str], float | None]:
    try:
        import_ml_stack()
        import torch
    except ImportError:
        return ["torch         not installed"], None
    cuda = torch.cuda.is_available()
    lines = [f"torch         {torch.__version__}; CUDA {'available' if cuda else 'not available'}"]
    vram_gb = None
    lines.append(f"CPU decoding  {_cpu_decoding()}")
    if cuda:
        free, total = torch.cuda.mem_get_info()
        vram_gb = total / 2**30
        lines.append(f"GPU           {torch.cuda.get_device_name(0)}, {free / 2**30:.1f} of {vram_gb:.1f} GiB free")
    return lines, vram_gb


def _active_adapter_name(paths: ProfilePaths) -> str:
    """The library's active adapter ("" for none, or when there is no readable library)."""
    if not paths.database.exists():
        return ""
    try:
        from writer_app.storage import Library

        library = Library.open(paths.database, readonly=True)
        try:
            adapter = library.active_adapter()
        finally:
            library.close()
    except Exception:  # noqa: BLE001 - the report goes on; `check` says what is wrong with a library
        return ""
    return adapter.name if adapter is not None else ""


def engine_lines(paths: ProfilePaths, server_url: str | None = None, server_model: str | None = None) -> list[str]:
    """Which engine writes (in-process or a server), with which model and adapter; a server is asked.

    The API key is reported as set or not, never shown.
    """
    from writer_app.errors import UserError
    from writer_app.llm.engine import API_KEY_ENV, server_config_from_settings
    from writer_app.settings import load_settings

    app = load_settings(paths)
    adapter = _active_adapter_name(paths)
    server = server_config_from_settings(app, server_url, server_model)
    if server is None:
        return ["engine        in-process (the model setting below, in its own process in the editor)",
                f"adapter       {adapter or 'none'}"]
    from writer_app.llm.server_engine import api_base, check_connection, pick_model

    source = "settings file" if server.api_key else (f"${API_KEY_ENV}" if server.key() else "")
    lines = [f"engine        OpenAI-compatible server {server.url} (API key: {'set, from the ' + source if source else 'none'}; "
             f"timeouts {server.connect_timeout_s:g} s to connect, {server.read_timeout_s:g} s between pieces)"]
    try:
        served = check_connection(server)
        model = pick_model(server.model, served, api_base(server.url))
        lines.append(f"server model  {model} (the server serves: {', '.join(served[:8]) or 'no list'})")
    except UserError as exc:
        lines.append(f"server model  {server.model or '(its first)'}: {exc}")
    lines.append("adapter       the server's own model" + (f" (“{adapter}”, active here, is not sent to the server)"
                                                          if adapter else ""))
    return lines


def doctor_report(paths: ProfilePaths, server_url: str | None = None, server_model: str | None = None) -> str:
    """Python, torch, GPU, bitsandbytes, the engine, the embedded model, the model setting, memory and disk."""
    from writer_app.llm import catalogue, embedded
    from writer_app.llm.download import cached_model_path, looks_like_hub_id
    from writer_app.settings import load_settings

    app = load_settings(paths)
    lines = [f"python        {platform.python_version()} ({sys.executable})"]
    torch_lines, vram_gb = _torch_lines()
    lines += torch_lines
    try:
        lines.append(f"bitsandbytes  {metadata.version('bitsandbytes')}")
    except metadata.PackageNotFoundError:
        lines.append("bitsandbytes  not installed")
    try:
        gguf = embedded.embedded_gguf_path()
        converted = embedded.is_converted(paths.model_cache)
        lines.append(f"embedded      installed ({gguf.stat().st_size / 2**20:.0f} MiB GGUF); "
                     f"{'converted' if converted else 'not converted yet (done on first use)'} in {paths.model_cache}")
    except embedded.EmbeddedModelMissing as exc:
        lines.append(f"embedded      missing: {exc}")
    lines += engine_lines(paths, server_url, server_model)
    lines.append(f"model setting {catalogue.describe_setting(app.model)}; quantization {app.quantization}; "
                 f"device {app.device}")
    if looks_like_hub_id(app.model):
        cached = cached_model_path(app.model)
        lines.append(f"              {'downloaded: ' + str(cached) if cached else 'not downloaded yet'}")
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            info = dict(line.split(":", 1) for line in handle)
        available = int(info["MemAvailable"].split()[0]) * 1024
        lines.append(f"memory        {available / 2**30:.1f} GiB available")
    except (OSError, KeyError, ValueError):
        pass
    target = paths.model_cache if paths.model_cache.exists() else paths.data
    probe = next((p for p in (target, *target.parents) if p.exists()), Path(os.sep))
    lines.append(f"disk          {shutil.disk_usage(probe).free / 2**30:.1f} GiB free at {probe}")
    recommended = catalogue.recommend_models(vram_gb)
    if recommended:
        lines.append("recommended   " + ", ".join(f"{c.repo_id} (~{c.vram_4bit_gb:g} GB)" for c in recommended))
    return "\n".join(lines)
