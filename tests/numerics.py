"""Tolerant comparisons of model outputs for tests: what a correct implementation always meets.

Why: two numeric paths through the same model (the step decoder and transformers'
forward, a kept cache and a fresh prefill, int4 and bf16 weights, one CPU thread
and two, AVX2 and AVX512-BF16 kernels) never agree bit for bit, and where the two
best tokens are a near tie (8.312 against 8.312 in bf16) an exact argmax, or an
exact greedy text, flips from one machine to the next. A bug (a wrong rotary
sign, heads in the wrong order, a dropped bias, a stale cache length) moves the
logits by a large part of their spread. So these helpers measure, per position
(one row of logits), in units of the reference row's standard deviation:

- ``error``: the RMS difference, i.e. closeness relative to the logit scale, over
  all positions (``tolerance``) and at each one (``3 x tolerance``: a bug at one
  position, a rotary table boundary say, shows even when the others are right);
- ``gap``: how far below the reference's best token the candidate's best token
  scores in the reference. Zero where both pick the same token; small at a near
  tie; large where the candidate picks a token the reference clearly rejects.
  Requiring ``gap <= g`` is the same as requiring agreement wherever the
  reference's top-2 margin exceeds ``g``;
- top-k membership: each side's best token is among the other's ``k`` best;

and greedy texts from two paths are compared token by token up to the first
place where they part, which must be such a near tie (``assert_greedy_agrees``).
``tests/llm/test_numerics.py`` checks that deliberately broken decoders fail
these comparisons. Same-path determinism (one path run twice) stays exact in the
tests. Torch is imported lazily: the storage and UI tests import nothing heavy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Allowed RMS error over all positions, as a fraction of each reference row's standard deviation,
# per kind of numeric difference: about twice what the step decoder and transformers' forward
# differ by on the embedded model, on 1 and 2 threads (the tests print their figures). A broken
# decoder is off by 0.26 to 1.3 (tests/llm/test_numerics.py).
FP32 = 1e-3  # float32 through another kernel, batch split or thread count
BF16 = 0.10  # bf16 activations rounded and summed in another order (seen: 0.05, one row 0.12)
INT8 = 0.12  # int8 weights, one scale per row (seen: 0.06, one row 0.14)
INT4 = 0.15  # int4 weights in groups of 32 (lossless for the embedded model's Q4_1 weights: seen 0.05)


@dataclass
class LogitReport:
    """How far ``candidate`` logits are from ``reference`` logits, row by row."""

    errors: list[float]  # RMS(candidate - reference) / std(reference), per row
    gaps: list[float]  # (reference best - reference[candidate's best]) / std(reference), per row
    top_k_misses: list[int]  # rows where either best token is outside the other's top k
    k: int = 5

    @property
    def rows(self) -> int:
        return len(self.errors)

    @property
    def max_error(self) -> float:
        return max(self.errors, default=0.0)

    @property
    def rms_error(self) -> float:
        return (sum(e * e for e in self.errors) / len(self.errors)) ** 0.5 if self.errors else 0.0

    @property
    def mean_error(self) -> float:
        return sum(self.errors) / len(self.errors) if self.errors else 0.0

    @property
    def max_gap(self) -> float:
        return max(self.gaps, default=0.0)

    @property
    def agreement(self) -> float:
        """Share of rows where both pick the same best token (reported, not asserted: ties flip it)."""
        return sum(g == 0 for g in self.gaps) / len(self.gaps) if self.gaps else 1.0

    def describe(self) -> str:
        return (f"{self.rows} rows: error {self.rms_error:.4f} (row max {self.max_error:.4f}), best-token gap max "
                f"{self.max_gap:.4f} (of the reference's std), same best token in {self.agreement:.0%}, outside "
                f"top-{self.k} at rows {self.top_k_misses}")


def _rows(logits: Any) -> Any:
    import torch

    tensor = logits if isinstance(logits, torch.Tensor) else torch.stack(list(logits))
    tensor = tensor.detach().float()
    return tensor.unsqueeze(0) if tensor.dim() == 1 else tensor.reshape(-1, tensor.shape[-1])


def _gap(reference_row: Any, token: int) -> float:
    """How far ``token`` scores below the best token of ``reference_row``, in its standard deviations."""
    import torch

    spread = reference_row[torch.isfinite(reference_row)].std()  # masked (-inf) tokens left out
    return float((reference_row.max() - reference_row[token]) / spread.clamp(min=1e-12))


def compare_logits(candidate: Any, reference: Any, *, k: int = 5) -> LogitReport:
    """Measure ``candidate`` against ``reference``: tensors (rows, vocabulary) or lists of 1-D tensors."""
    import torch

    cand, ref = _rows(candidate), _rows(reference)
    if cand.shape != ref.shape:
        raise AssertionError(f"logit shapes differ: {tuple(cand.shape)} and {tuple(ref.shape)}")
    # A task's token masks set forbidden tokens to -inf (``llm.constraints``): masked in both is
    # agreement and is left out of the measure; masked in one only is a difference (inf).
    cand_masked, ref_masked = torch.isneginf(cand), torch.isneginf(ref)
    both = cand_masked & ref_masked
    ref_f, cand_f = ref.masked_fill(both, float("nan")), cand.masked_fill(both, float("nan"))
    if bool(both.any()):
        centred = ref_f - ref_f.nanmean(dim=-1, keepdim=True)
        scale = centred.pow(2).nanmean(dim=-1).sqrt().clamp(min=1e-12)
    else:
        scale = ref.std(dim=-1).clamp(min=1e-12)
    error_rows = (cand_f - ref_f).pow(2).nanmean(dim=-1).sqrt() / scale
    error_rows[(cand_masked ^ ref_masked).any(dim=-1)] = float("inf")
    errors = error_rows.tolist()
    best = cand.argmax(-1)
    gaps = ((ref.max(dim=-1).values - ref.gather(-1, best[:, None])[:, 0]) / scale).tolist()
    k = min(k, ref.shape[-1])
    cand_top, ref_top = cand.topk(k, dim=-1).indices, ref.topk(k, dim=-1).indices
    inside = (cand_top == ref_top[:, :1]).any(-1) & (ref_top == cand_top[:, :1]).any(-1)
    return LogitReport(errors, gaps, torch.nonzero(~inside).flatten().tolist(), k)


def logits_match(candidate: Any, reference: Any, tolerance: float, *, gap: float | None = None,
                 k: int = 5) -> tuple[bool, LogitReport]:
    """(whether ``candidate`` computes what ``reference`` computes within ``tolerance``, the report).

    The rows together must be within ``tolerance`` (RMS, of the reference's spread) and each row
    within 3 x tolerance; both best tokens must be in each other's top ``k``, and the candidate's
    best within ``gap`` (default 2 x tolerance) of the reference's best: exact agreement wherever
    the reference is decisive.
    """
    report = compare_logits(candidate, reference, k=k)
    gap = 2 * tolerance if gap is None else gap
    ok = (report.rms_error <= tolerance and report.max_error <= 3 * tolerance and report.max_gap <= gap
          and not report.top_k_misses)
    return ok, report


def assert_logits_match(candidate: Any, reference: Any, tolerance: float, **options: Any) -> LogitReport:
    ok, report = logits_match(candidate, reference, tolerance, **options)
    assert ok, f"logits differ beyond tolerance {tolerance}: {report.describe()}"
    return report


def cross_entropy(logits: Any, targets: Any) -> float:
    import torch

    return float(torch.nn.functional.cross_entropy(_rows(logits), targets))


# ------------------------------------------------------------- greedy text from two paths
@dataclass
class Choices:
    """The tokens a decode loop picked and the logits it picked them from (after any penalty)."""

    tokens: list[int] = field(default_factory=list)
    logits: list[Any] = field(default_factory=list)


@contextlib.contextmanager
def recorded_choices() -> Iterator[Choices]:
    """Record every token ``writer_app.llm.decoding`` samples inside the block (this thread's runs).

    Wraps ``sample_token``, which applies the repetition penalty to the logits in place before it
    picks, so the recorded logits are the ones the choice was made from.
    """
    from writer_app.llm import decoding

    original = decoding.sample_token
    choices = Choices()

    def recording(logits: Any, recent: Any, settings: Any, generator: Any) -> int:
        token = original(logits, recent, settings, generator)
        choices.tokens.append(token)
        choices.logits.append(logits.detach().float().clone())
        return token

    decoding.sample_token = recording
    try:
        yield choices
    finally:
        decoding.sample_token = original


@dataclass
class Parting:
    """Where two greedy runs part (``step`` None: nowhere), and how near a tie it was there."""

    step: int | None
    steps: int
    gap: float = 0.0

    def __str__(self) -> str:
        if self.step is None:
            return f"the same {self.steps} tokens"
        return f"the same tokens up to step {self.step} of {self.steps}, a near tie ({self.gap:.4f} std)"


def parting_step(candidate: Choices | list[int], reference: Choices) -> int | None:
    """The first step where the candidate's token differs from the reference's, or None."""
    tokens = candidate.tokens if isinstance(candidate, Choices) else list(candidate)
    for step, (ours, theirs) in enumerate(zip(tokens, reference.tokens, strict=False)):
        if ours != theirs:
            return step
    return None if len(tokens) == len(reference.tokens) else min(len(tokens), len(reference.tokens))


def assert_greedy_agrees(candidate: Choices | list[int], reference: Choices, tolerance: float, *,
                         gap: float | None = None) -> Parting:
    """The candidate's greedy tokens are the reference's up to a near tie; returns where they part.

    Identical wherever the reference is decisive; where they part, the candidate's token must score
    within ``gap`` (default 2 x tolerance) standard deviations of the reference's best, and after
    that the texts may differ. Where the candidate's logits were recorded too, those of every step
    up to the parting (same tokens so far, so the same context) must match the reference's within
    ``tolerance``: a decode out of step with its cache is caught at its first token even when it
    happens to pick the reference's runner-up.
    """
    tokens = candidate.tokens if isinstance(candidate, Choices) else list(candidate)
    gap = 2 * tolerance if gap is None else gap
    step = parting_step(tokens, reference)
    shared = len(tokens) if step is None else min(step + 1, len(tokens), len(reference.tokens))
    if isinstance(candidate, Choices) and shared:
        ok, report = logits_match(candidate.logits[:shared], reference.logits[:shared], tolerance, gap=gap)
        assert ok, f"the logits of the first {shared} greedy steps differ beyond tolerance {tolerance}: " \
                   f"{report.describe()}"
    if step is None:
        return Parting(None, len(tokens))
    assert step < len(tokens) and step < len(reference.tokens), (
        f"one greedy run stopped at step {step} and the other did not, with no other difference")
    found = _gap(_rows(reference.logits[step])[0], tokens[step])
    assert found <= gap, (
        f"the greedy texts part at step {step} of {len(reference.tokens)}, where the reference is decisive: "
        f"token {tokens[step]} scores {found:.3f} std below its best {reference.tokens[step]} (allowed {gap})")
    return Parting(step, len(reference.tokens), found)
