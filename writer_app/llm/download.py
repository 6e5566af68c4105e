"""Fetching Hugging Face models — only ever when the author asks.

Downloads go to the standard Hugging Face cache so other tools share them;
only safetensors weights, configs and tokenizer files are fetched (never
pickle weights). Loading looks in the cache only (``local_files_only``), so
an offline machine loads what it has and names what it lacks.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from writer_app.errors import UserError

ProgressCallback = Callable[[float, str], None]
ALLOW_PATTERNS = [
    "*.safetensors",
    "*.safetensors.index.json",
    "config.json",
    "generation_config.json",
    "tokenizer*",
    "special_tokens_map.json",
    "chat_template*",
    "*.model",  # sentencepiece tokenizers
    "*.tiktoken",
    "vocab.*",
    "merges.txt",
]
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class DownloadCancelled(UserError):
    """The author stopped a download."""


def looks_like_hub_id(setting: str) -> bool:
    """``owner/name``, and not a path that exists here (a folder named like that is a folder)."""
    return bool(_HUB_ID.match(setting)) and not Path(setting).expanduser().exists()


def cached_model_path(repo_id: str) -> Path | None:
    """The cached snapshot folder of ``repo_id`` if its config is already downloaded."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, local_files_only=True, allow_patterns=ALLOW_PATTERNS))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return None
    return folder if (folder / "config.json").is_file() else None


def download_model(
    repo_id: str,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Download ``repo_id`` (safetensors + config + tokenizer) into the HF cache; return its folder."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        RepositoryNotFoundError,
    )

    def report(fraction: float, message: str) -> None:
        if progress:
            progress(fraction, message)

    if not looks_like_hub_id(repo_id) or len(repo_id) > 96:
        # Checked here, not by huggingface_hub: its HFValidationError is a paragraph, not a sentence.
        raise UserError(f"“{repo_id}” is not a Hugging Face model id; write it as owner/name, "
                        "e.g. Qwen/Qwen2.5-3B-Instruct")
    report(0.0, f"Looking up {repo_id}…")
    try:
        info = HfApi().model_info(repo_id, files_metadata=True)
        from fnmatch import fnmatch

        files = [
            s for s in (info.siblings or []) if any(fnmatch(s.rfilename, pat) for pat in ALLOW_PATTERNS)
        ]
        if not any(s.rfilename.endswith(".safetensors") for s in files):
            raise UserError(f"{repo_id} has no safetensors weights; writer-app only loads safetensors")
        total = sum(s.size or 0 for s in files) or 1
        done = 0
        for sibling in sorted(files, key=lambda s: s.size or 0):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(f"download of {repo_id} cancelled")
            report(done / total, f"Downloading {sibling.rfilename}…")
            hf_hub_download(repo_id, sibling.rfilename)
            done += sibling.size or 0
    except GatedRepoError as exc:
        raise UserError(f"{repo_id} is gated: accept its licence on huggingface.co and log in first") from exc
    except HFValidationError as exc:
        raise UserError(f"“{repo_id}” is not a valid Hugging Face model id (owner/name)") from exc
    except RepositoryNotFoundError as exc:
        raise UserError(f"no model called {repo_id} on Hugging Face") from exc
    except (HfHubHTTPError, OSError) as exc:
        raise UserError(f"could not download {repo_id}: {exc}") from exc
    folder = cached_model_path(repo_id)
    if folder is None:
        raise UserError(f"{repo_id} was downloaded but cannot be found in the Hugging Face cache")
    report(1.0, f"{repo_id} downloaded")
    return folder
