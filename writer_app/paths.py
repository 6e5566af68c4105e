"""Where a profile keeps its files.

A *profile* is one author's world: the manuscript database, adapters, the
model cache, settings and logs. By default these live in the platform's usual
places (platformdirs); ``--data-dir DIR`` puts all of them under DIR instead,
so tests, demos and a second pen name never touch the real library.

The converted embedded model is the one exception worth sharing between
profiles (it is large and identical everywhere), so ``WRITER_APP_MODEL_CACHE``
can point several profiles, and the test suite, at one copy.

Paths come from the author (a command line, a file dialog) and may hold
bytes that are not UTF-8 (Python keeps them as surrogate escapes) or lead
nowhere (a symbolic link loop, a file where a folder should be).
:func:`display_path` makes any path printable in a message, and
:func:`require_dir` / :func:`require_file` say exactly what is wrong with one
instead of the "does not exist" that ``Path.is_dir()`` implies for all of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from writer_app.errors import UserError, os_error_reason, printable

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
    def personal_dictionary(self) -> Path:
        """The author's own spellings (one word a line), kept with the library, not the cache."""
        return self.data / "personal-dictionary.txt"

    @property
    def lock_file(self) -> Path:
        return self.data / "profile.lock"

    @property
    def model_cache(self) -> Path:
        """Converted models (the embedded default lives here as safetensors)."""
        shared = os.environ.get(MODEL_CACHE_ENV)
        return Path(shared) if shared else self.cache / "models"

    def ensure(self) -> ProfilePaths:
        """Create the profile's folders; a full disk or a read-only drive is one UserError."""
        for folder in (self.data, self.cache, self.config, self.logs, self.backups, self.adapters):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"could not create the folder {display_path(folder)}: {os_error_reason(exc)}") from exc
        return self


def profile_paths(data_dir: str | os.PathLike[str] | None = None) -> ProfilePaths:
    """The folders for ``data_dir`` (an isolated profile) or the user's defaults."""
    if data_dir is not None:
        given = Path(data_dir).expanduser()
        try:
            root = given.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
            reason = os_error_reason(exc) if isinstance(exc, OSError) else "it is a symbolic link loop"
            raise UserError(f"the data folder {display_path(given)} cannot be used: {reason}") from exc
        problem = path_problem(root)
        if problem is None and not root.is_dir():
            problem = "it is a file, not a folder"
        if problem not in (None, "it does not exist"):  # a folder yet to be made is fine
            raise UserError(f"the data folder {display_path(given)} cannot be used: {problem}")
        return ProfilePaths(data=root, cache=root / "cache", config=root / "config", logs=root / "logs")
    return ProfilePaths(
        data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        cache=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
        config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )


def display_path(path: str | os.PathLike[str] | bytes) -> str:
    """``path`` as text that prints and encodes anywhere: bytes that are not UTF-8 appear as ``\\xNN``.

    Why: a file name like ``caf\\xe9.txt`` (Latin-1 on disk) reaches Python as
    ``'caf\\udce9.txt'``, which no encoder accepts; printing it in an error
    message used to raise UnicodeEncodeError instead of showing the message.
    """
    raw = os.fspath(path)
    return raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else printable(raw)


def title_from_os(name: str) -> str:
    """A file name or a command-line word as text the library can store (a project or document title).

    Python hands over bytes that are not UTF-8 as surrogate escapes, which
    SQLite (and every encoder) refuses. They become U+FFFD, exactly as the
    importer turns such a file name into a title, so ``--project`` typed with
    the same bytes later finds the project that import created.
    """
    if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "replace")
    except UnicodeEncodeError:  # lone surrogates that never were bytes (JSON, a database)
        return name.encode("utf-8", "replace").decode("utf-8")


def path_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be reached ("it does not exist", "it is a symbolic link loop"...), or None."""
    try:
        os.stat(path)
    except OSError as exc:
        return os_error_reason(exc)
    except ValueError:  # an embedded NUL byte
        return "its name holds a NUL character"
    return None


def require_dir(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` if it is an existing folder, else a UserError that names ``what`` and the real reason."""
    problem = path_problem(path)
    if problem is None and not os.path.isdir(path):
        problem = "it is a file, not a folder"
    if problem:
        raise UserError(f"{what} {display_path(path)} cannot be used: {problem}")
    return Path(path)


def require_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` if it is an existing regular file (links followed), else a UserError with the reason."""
    problem = path_problem(path)
    if problem is None and os.path.isdir(path):
        problem = "it is a folder, not a file"
    elif problem is None and not os.path.isfile(path):
        problem = "it is not a regular file (a device, a pipe or a socket)"
    if problem:
        raise UserError(f"{what} {display_path(path)} cannot be used: {problem}")
    return Path(path)
