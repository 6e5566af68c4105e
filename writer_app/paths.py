"""Where a profile keeps its files.

A *profile* is one author's world: the manuscript database, adapters, the
model cache, settings and logs. By default these live in the platform's usual
places (platformdirs); ``--data-dir DIR`` puts all of them under DIR instead,
so tests, demos and a second pen name never touch the real library.

The converted embedded model is the one exception worth sharing between
profiles (it is large and identical everywhere), so ``WRITER_APP_MODEL_CACHE``
can point several profiles, and the test suite, at one copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "writer-app"
APP_AUTHOR = "writer-app"
MODEL_CACHE_ENV = "WRITER_APP_MODEL_CACHE"


@dataclass(frozen=True)
class ProfilePaths:
    """Every folder a profile uses; created on demand by :meth:`ensure`."""

    data: Path
    cache: Path
    config: Path
    logs: Path

    @property
    def database(self) -> Path:
        return self.data / "library.sqlite3"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def adapters(self) -> Path:
        return self.data / "adapters"

    @property
    def training_runs(self) -> Path:
        return self.data / "training-runs"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def lock_file(self) -> Path:
        return self.data / "profile.lock"

    @property
    def model_cache(self) -> Path:
        """Converted models (the embedded default lives here as safetensors)."""
        shared = os.environ.get(MODEL_CACHE_ENV)
        return Path(shared) if shared else self.cache / "models"

    def ensure(self) -> ProfilePaths:
        for folder in (self.data, self.cache, self.config, self.logs, self.backups, self.adapters):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def profile_paths(data_dir: str | os.PathLike[str] | None = None) -> ProfilePaths:
    """The folders for ``data_dir`` (an isolated profile) or the user's defaults."""
    if data_dir is not None:
        root = Path(data_dir).expanduser().resolve()
        return ProfilePaths(data=root, cache=root / "cache", config=root / "config", logs=root / "logs")
    return ProfilePaths(
        data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        cache=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
        config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )
