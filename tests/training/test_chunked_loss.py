"""The chunked next-token loss is the model's own loss, in value and in the adapter's gradients."""

from __future__ import annotations

import pytest

from writer_app.training.config import TrainingConfig

from .conftest import austen_chapters

torch = pytest.importorskip("torch")


def _austen_rows(model_dir, rows: int, length: int):
    from writer_app.training.model_loading import load_tokenizer

    tokenizer = load_tokenizer(model_dir)
    ids = tokenizer(austen_chapters(1)[0].text)["input_ids"][: rows * length]
    return torch.tensor(ids).reshape(rows, length)


def _lora_model(model_dir):
    from writer_app.training.model_loading import load_trainable_model

    torch.manual_seed(0)
    config = TrainingConfig(rank=4, alpha=8, dropout=0.0, cpu_autocast="off")  # fp32: the sums compared below
    model = load_trainable_model(model_dir, config, cuda=False)
    for name, param in model.named_parameters():  # a trained adapter, so its gradients are not all zero
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.02)
    return model


def _adapter_grads(model) -> dict[str, torch.Tensor]:
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad(set_to_none=True)
    return grads


@pytest.mark.model
def test_chunked_loss_and_gradients_equal_the_models_own_loss(embedded_model_dir):
    from writer_app.training.chunked_loss import causal_lm_loss, chunked_cross_entropy, output_weight

    torch.set_num_threads(1)
    model = _lora_model(embedded_model_dir)
    rows = _austen_rows(embedded_model_dir, 2, 48)

    reference = model(input_ids=rows, labels=rows).loss
    reference.backward()
    reference = reference.detach()
    expected = _adapter_grads(model)

    weight = output_weight(model)
    assert weight is not None and weight.shape[0] == 49152
    chunked = causal_lm_loss(model, rows, weight)
    chunked.backward()
    chunked = chunked.detach()
    got = _adapter_grads(model)

    assert 2.0 < float(reference) < 8.0  # real English text through the real model
    assert float(chunked) == pytest.approx(float(reference), rel=1e-5)
    assert got.keys() == expected.keys() and len(got) > 100
    for name, grad in expected.items():  # fp32 sums in another order through 30 layers: relative error
        assert float((got[name] - grad).norm() / grad.norm()) < 1e-3, name

    # A chunk size that does not divide the positions, and the ignored label of padding, change nothing.
    hidden = torch.randn(2, 47, weight.shape[1], requires_grad=True)
    labels = torch.randint(0, weight.shape[0], (2, 47))
    labels[1, -5:] = -100
    full = torch.nn.functional.cross_entropy((hidden @ weight.t()).reshape(-1, weight.shape[0]), labels.reshape(-1))
    (full_grad,) = torch.autograd.grad(full, hidden)
    small = chunked_cross_entropy(hidden, weight, labels, chunk_tokens=10)
    (small_grad,) = torch.autograd.grad(small, hidden)
    assert float(small) == pytest.approx(float(full), rel=1e-5)
    assert torch.allclose(small_grad, full_grad, rtol=1e-4, atol=1e-7)


@pytest.mark.model
def test_a_trainable_output_layer_falls_back_to_the_models_own_loss(embedded_model_dir):
    from writer_app.training.chunked_loss import causal_lm_loss, output_weight

    model = _lora_model(embedded_model_dir)
    model.get_base_model().get_output_embeddings().weight.requires_grad_(True)
    rows = _austen_rows(embedded_model_dir, 1, 24)
    assert output_weight(model) is None
    with torch.no_grad():
        assert float(causal_lm_loss(model, rows)) == pytest.approx(float(model(input_ids=rows, labels=rows).loss))
