"""The profile's settings: one JSON file in the config folder, no Qt.

Plain JSON (not QSettings) because the CLI, the trainer process and the UI
all read it, and a person can fix it with a text editor. Unknown keys are kept
on save so that a newer version's settings survive an older one; a corrupt
file is moved aside (never silently overwritten) and defaults are used.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from writer_app.atomic_write import atomic_write
from writer_app.paths import ProfilePaths

log = logging.getLogger(__name__)

EMBEDDED_MODEL_SETTING = "embedded"
LEGACY_ADAPTER_KEY = "adapter"  # written by older versions; see migrate_legacy_adapter
# How much text one request may produce, in tokens, until the author says otherwise: the profile's
# default here, and ``llm.generation.GenerationSettings``'s for callers without a profile.
DEFAULT_MAX_NEW_TOKENS = 120


@dataclass
class AppSettings:
    # The model: "embedded", a Hugging Face id (e.g. "Qwen/Qwen2.5-3B-Instruct") or a local folder.
    model: str = EMBEDDED_MODEL_SETTING
    # "auto" (CUDA: 4-bit NF4; CPU: int4 decode on bf16 CPUs, else fp32), "4bit" (CUDA: NF4; CPU: int4
    # decode), "8bit" (CUDA: bitsandbytes; CPU: int8 decode), "16bit", "32bit". See llm/step_decoder.py.
    quantization: str = "auto"
    # Device: "auto", "cpu" or "cuda".
    device: str = "auto"
    # The active LoRA adapter is not a setting: it is the library's ``adapters.active`` row, so
    # that a rename cannot leave two answers (see migrate_legacy_adapter for old files).
    allow_pickle_weights: bool = False
    trust_remote_code: bool = False
    # An OpenAI-compatible server to write with instead of the model above ("" for none): llama.cpp's
    # server, Ollama, vLLM (llm/server_engine.py). The API key may also come from the environment
    # variable WRITER_APP_SERVER_API_KEY; it is never printed or logged.
    server_url: str = ""
    server_model: str = ""
    server_api_key: str = ""
    server_connect_timeout_s: float = 5.0
    server_read_timeout_s: float = 120.0
    server_context_window: int = 4096
    # Generation defaults.
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.8
    top_p: float = 0.95
    repetition_penalty: float = 1.1
    variants: int = 1
    seed: int | None = None
    # Editor.
    editor_font_family: str = "Georgia"
    editor_font_size: int = 13
    editor_line_width: int = 72  # characters per line in the text column
    theme: str = "light"
    autosave_interval_ms: int = 1000
    # Backups.
    backup_interval_minutes: int = 10
    backup_keep: int = 10
    extra: dict[str, Any] = field(default_factory=dict)


def load_settings(paths: ProfilePaths) -> AppSettings:
    path = paths.settings_file
    if not path.exists():
        return AppSettings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("settings file is not a JSON object")
    except (OSError, ValueError) as exc:
        aside = path.with_name(f"settings.corrupt-{int(time.time())}.json")
        log.warning("settings file %s unreadable (%s); moved to %s, using defaults", path, exc, aside)
        try:
            path.replace(aside)
        except OSError:
            pass
        return AppSettings()
    known = {f.name for f in fields(AppSettings)} - {"extra"}
    values = {k: v for k, v in raw.items() if k in known}
    extra = {k: v for k, v in raw.items() if k not in known and k != "extra"}
    extra.update(raw.get("extra") or {})
    settings = AppSettings(**values)
    settings.extra = extra
    return settings


def legacy_adapter_name(settings: AppSettings) -> str:
    """The adapter name an older settings file kept under "adapter" ("" if none)."""
    value = settings.extra.get(LEGACY_ADAPTER_KEY)
    return value if isinstance(value, str) else ""


def migrate_legacy_adapter(paths: ProfilePaths, settings: AppSettings, library: Any) -> None:
    """Move an old settings file's active adapter name into the library, once.

    Older versions kept the active adapter twice (a name here, a flag in the
    library), and a rename updated only the library, so the next start looked
    up a name that no longer existed and silently ran without the adapter.
    Now the library is the one source of truth: if it has no active adapter
    and the named one exists, that one becomes active; then the key is dropped
    from the file (a library that cannot be written keeps the key for the next start).
    """
    if LEGACY_ADAPTER_KEY not in settings.extra:
        return
    name = legacy_adapter_name(settings)
    try:
        if name and library.active_adapter() is None:
            adapter = library.get_adapter_by_name(name)
            if adapter is not None:
                library.set_active_adapter(adapter.id)
    except Exception as exc:  # noqa: BLE001 - a read-only or busy library: try again next start
        log.warning("could not carry the adapter setting %r into the library: %s", name, exc)
        return
    settings.extra.pop(LEGACY_ADAPTER_KEY, None)
    try:
        save_settings(paths, settings)
    except OSError as exc:
        log.warning("could not drop the old adapter setting from %s: %s", paths.settings_file, exc)


def save_settings(paths: ProfilePaths, settings: AppSettings) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact."""
    path = paths.settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(settings)
    extra = data.pop("extra")
    data.update(extra)
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
