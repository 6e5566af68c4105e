"""Hugging Face ids load from the local HF cache only; nothing is fetched without being asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from writer_app.errors import UserError

pytestmark = [pytest.mark.model]


def _fake_hub_cache(root: Path, repo_id: str, source: Path) -> None:
    """The layout huggingface_hub writes: models--org--name/{refs/main, snapshots/<sha>/files}."""
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = root / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / sha
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    for item in source.iterdir():
        if item.name != "writer-app-conversion.json":
            os.link(item, snapshot / item.name)


def test_cached_hub_model_loads_offline_and_uncached_one_is_explained(tmp_path, embedded_model_dir, monkeypatch):
    import huggingface_hub.constants

    from writer_app.llm.catalogue import describe_setting
    from writer_app.llm.runtime import ModelRuntime

    _fake_hub_cache(tmp_path / "hub", "HuggingFaceTB/SmolLM2-135M-Instruct", embedded_model_dir)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    rt = ModelRuntime.load("HuggingFaceTB/SmolLM2-135M-Instruct", tmp_path / "models")
    try:
        assert rt.info.name == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert rt.info.path.startswith(str(tmp_path / "hub"))
        assert rt.count_tokens("Hello there") > 0
    finally:
        rt.close()
    with pytest.raises(UserError, match="Qwen/Qwen2.5-3B-Instruct is not downloaded yet"):
        ModelRuntime.load("Qwen/Qwen2.5-3B-Instruct", tmp_path / "models")
    assert describe_setting("Qwen/Qwen2.5-3B-Instruct") == "Hugging Face model Qwen/Qwen2.5-3B-Instruct"


def test_catalogue_recommends_by_gpu_memory():
    from writer_app.llm.catalogue import recommend_models

    assert recommend_models(None) == []
    small = [c.repo_id for c in recommend_models(4)]
    assert small == ["Qwen/Qwen2.5-3B-Instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct"]
    assert recommend_models(24)[0].repo_id == "meta-llama/Llama-3.1-8B-Instruct"
