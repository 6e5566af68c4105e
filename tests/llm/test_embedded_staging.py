"""A conversion killed outright leaves its staging folder; the next conversion sweeps old ones away."""

from __future__ import annotations

import os
import time

from writer_app.llm.embedded import STAGING_PREFIX, remove_stale_staging


def test_abandoned_staging_folders_are_removed_and_fresh_ones_kept(tmp_path):
    cache = tmp_path / "models"
    abandoned = cache / f"{STAGING_PREFIX}abc123"
    abandoned.mkdir(parents=True)
    (abandoned / "model.safetensors").write_bytes(b"\0" * 1024)  # half written when the host was killed
    two_hours_ago = time.time() - 7200
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    running = cache / f"{STAGING_PREFIX}def456"  # another process converting right now
    running.mkdir()
    model = cache / "smollm2-135m-instruct"
    model.mkdir()
    os.utime(model, (two_hours_ago, two_hours_ago))
    elsewhere = tmp_path / "not-in-the-cache"
    elsewhere.mkdir()
    link = cache / f"{STAGING_PREFIX}link"
    link.symlink_to(elsewhere)
    os.utime(link, (two_hours_ago, two_hours_ago), follow_symlinks=False)

    assert remove_stale_staging(cache) == 1
    assert not abandoned.exists()
    assert running.is_dir() and model.is_dir()  # neither a live conversion nor the model itself
    assert elsewhere.is_dir() and link.is_symlink()  # a link is never followed into another folder
