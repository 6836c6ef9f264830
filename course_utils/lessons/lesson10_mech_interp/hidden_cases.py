"""Hidden cases for lesson 10 (mechanistic interpretability with TransformerLens).

Inputs are torch tensors, as in the notebook (the learner's code may call tensor
methods). The patching exercises run on the shipped induction model with fresh
clean/corrupted pairs and on a small random attention-only model with a
different number of heads and vocabulary, so a grid hard-coded for the
notebook's model fails. Comparisons use the public checker's tolerances: the
answers are float32 model outputs, which differ in the last bits between
correct implementations.
"""
import functools

import numpy as np

from ...checking import CheckFailure, as_array, expect_close
from ...grading.hidden_cases import CASES_PER_EXERCISE, close_within, hidden

PATCHING_CASES = 4      # each case runs the model several times: fewer, costlier cases


def _seed(rng):
    return int(rng.integers(0, 2**31 - 1))


def _generator(rng):
    import torch

    return torch.Generator().manual_seed(_seed(rng))


# --- attention scores, loss, attribution, ablation -------------------------------------------------

def _patterns(rng, batch, heads, seq):
    """Causal attention patterns ``[batch, head, query, key]``: random softmaxes, some heads a sharp shift."""
    import torch

    scores = torch.randn(batch, heads, seq, seq, generator=_generator(rng)) * float(rng.uniform(0.5, 3.0))
    mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
    pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
    for head in range(heads):
        if rng.random() < 0.3:       # a head that attends exactly `offset` tokens back
            offset = int(rng.integers(0, seq))
            shift = torch.zeros(seq, seq)
            for q in range(seq):
                shift[q, q - offset if q >= offset else 0] = 1.0
            pattern[:, head] = shift
    return pattern


@hidden("10.previous_token_score", compare=close_within(1e-5, 1e-5))
def _previous_token_score(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, heads, seq = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(2, 11))
        cases.append(((_patterns(rng, batch, heads, seq),), {}))
    return cases


@hidden("10.induction_score", compare=close_within(1e-5, 1e-5))
def _induction_score(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, heads, half_len = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(2, 8))
        cases.append(((_patterns(rng, batch, heads, 2 * half_len), half_len), {}))
    return cases


@hidden("10.per_token_loss", compare=close_within(1e-5, 1e-5))
def _per_token_loss(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, pos, vocab = int(rng.integers(1, 4)), int(rng.integers(2, 8)), int(rng.integers(2, 10))
        generator = _generator(rng)
        logits = torch.randn(batch, pos, vocab, generator=generator) * float(rng.uniform(0.5, 4.0))
        tokens = torch.randint(0, vocab, (batch, pos), generator=generator)
        cases.append(((logits, tokens), {}))
    return cases


@hidden("10.direct_logit_attribution", compare=close_within(1e-5, 1e-4))
def _direct_logit_attribution(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, pos, n_comp = (int(v) for v in rng.integers(1, 5, size=3))
        d_model, vocab = int(rng.integers(2, 9)), int(rng.integers(2, 10))
        generator = _generator(rng)
        components = torch.randn(batch, pos, n_comp, d_model, generator=generator)
        W_U = torch.randn(d_model, vocab, generator=generator)
        targets = torch.randint(0, vocab, (batch, pos), generator=generator)
        cases.append(((components, W_U, targets), {}))
    return cases


@hidden("10.ablate_head_hook", compare=close_within(1e-5, 1e-8))
def _ablate_head_hook(rng):
    import torch

    cases = []
    for index in range(CASES_PER_EXERCISE):
        batch, pos, heads, d_head = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(2, 5)), \
            int(rng.integers(1, 5))
        generator = _generator(rng)
        z = torch.randn(batch, pos, heads, d_head, generator=generator)
        mean_z = torch.randn(pos, heads, d_head, generator=generator) if index % 2 else None
        cases.append(((z, int(rng.integers(0, heads)), mean_z), {}))
    return cases


@hidden("10.normalised_metric", compare=close_within(1e-5, 1e-8))
def _normalised_metric(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        clean, corrupted = (float(v) for v in rng.normal(0, 4, size=2).round(2))
        if abs(clean - corrupted) < 0.5:
            clean = corrupted + float(rng.choice([-1, 1])) * round(float(rng.uniform(0.5, 5)), 2)
        patched = round(float(rng.normal(0, 4)), 2)
        cases.append(((patched, clean, corrupted), {}))
    return cases


# --- patching on a model -----------------------------------------------------------------------------

class _AnswerLogit:
    """A patching metric: the batch mean of the answer's logit at ``query_pos`` (minus the distractor's, when
    ``distractors`` are given: reference.logit_difference), optionally normalised so the clean run scores 1 and
    the corrupted run 0. A plain object, so it survives ``copy.deepcopy``."""

    def __init__(self, query_pos, answers, distractors=None, clean=None, corrupted=None):
        self.query_pos, self.answers, self.distractors = query_pos, answers, distractors
        self.clean, self.corrupted = clean, corrupted

    def __call__(self, logits):
        from .reference import answer_logit, logit_difference

        if self.distractors is None:
            value = answer_logit(logits, self.query_pos, self.answers)
        else:
            value = logit_difference(logits, self.query_pos, self.answers, self.distractors)
        if self.clean is None:
            return value
        return (value - self.corrupted) / (self.clean - self.corrupted)


@functools.lru_cache(maxsize=1)
def _induction_model():
    from ...models.attn_only import load_attn_only

    return load_attn_only("induction_2l")[0]


def _induction_copy():
    """A fresh deep copy of the shipped induction model, never run here.

    A bridge wires capture hooks on its first forward pass; the course's
    bridges drop them in a deep copy (``models.attn_only._copyable``), so a
    copy that runs cannot touch the original. The cached model and the models
    in the cases are still only ever copied, never run: a belt to those braces.
    """
    import copy

    return copy.deepcopy(_induction_model())


def _random_model(rng):
    """A small random 2-layer attention-only bridge, with weights large enough that patching moves the logits.

    Its weights require grad, as the shipped model's do, so a learner's backward-hook recipe works on both.
    """
    from ...models.attn_only import random_attn_only

    n_heads, d_vocab = int(rng.choice([2, 3])), int(rng.integers(12, 21))
    return random_attn_only(dict(n_layers=2, n_heads=n_heads, d_model=16, d_head=8, n_ctx=16, d_vocab=d_vocab),
                            seed=_seed(rng))


def _patching_cases(rng, count):
    """``count`` cases ``(model, clean, corrupted, metric)``: even ones on the induction model with the notebook's
    metric (the normalised logit difference on a swap pair, at query positions ≥ 20, where the model does
    induction), odd ones on one small random model with the raw answer logit. Neither model is run here."""
    import copy

    import torch

    from ...data.induction_tasks import induction_patching_pair
    from .reference import induction_swap_pair

    trained = _induction_copy()
    probe = copy.deepcopy(trained)      # runs for the metric's clean and corrupted values; `trained` never runs
    small = _random_model(rng)
    cases = []
    for index in range(count):
        model = small if index % 2 else trained
        for _ in range(50):                 # a few draws at most: most pairs have a clear clean-corrupted gap
            batch = int(rng.integers(1, 3))
            if model is small:
                half_len = int(rng.integers(3, 7))
                corrupt_pos = int(rng.integers(0, half_len - 1))
                clean, corrupted, query_pos, answers = induction_patching_pair(batch, half_len, corrupt_pos,
                                                                               model.cfg.d_vocab, seed=_seed(rng))
                metric = _AnswerLogit(query_pos, answers)
                break
            batch, half_len = int(rng.integers(2, 4)), int(rng.integers(12, 16))     # batch ≥ 2: every element counts
            corrupt_pos = int(rng.integers(20 - half_len, half_len - 1))
            swap_pos = int(rng.choice([p for p in range(half_len - 1) if abs(p - corrupt_pos) >= 2]))
            clean, corrupted, query_pos, answers, distractors = induction_swap_pair(
                batch, half_len, corrupt_pos, swap_pos, model.cfg.d_vocab, seed=_seed(rng))
            metric = _AnswerLogit(query_pos, answers, distractors)
            with torch.no_grad():
                metric = _AnswerLogit(query_pos, answers, distractors, float(metric(probe(clean))),
                                          float(metric(probe(corrupted))))
            if metric.clean > 1 and metric.clean - metric.corrupted > 2:    # induction at work; a clear gap
                break
        cases.append((model, clean, corrupted, metric))
    return cases


def _grid_compare(rtol, atol):
    def compare(got, want):
        want = want.detach().numpy() if hasattr(want, "detach") else np.asarray(want)
        expect_close(as_array(got, shape=want.shape), want, rtol=rtol, atol=atol)

    return compare


@hidden("10.residual_patching", compare=_grid_compare(1e-4, 1e-4))
def _residual_patching(rng):
    return [(case, {}) for case in _patching_cases(rng, 3)]          # one run per layer and position: the costliest


@hidden("10.head_patching", compare=_grid_compare(1e-4, 1e-4))
def _head_patching(rng):
    return [(case, {}) for case in _patching_cases(rng, PATCHING_CASES)]


def _float_compare(got, want):
    value = as_array(got, shape=())
    if not np.isfinite(value):
        raise CheckFailure("not a finite number")
    expect_close(value, want, rtol=1e-4, atol=1e-4)


@hidden("10.path_patch_keys", compare=_float_compare)
def _path_patch_keys(rng):
    cases = []
    for index, (model, clean, corrupted, metric) in enumerate(_patching_cases(rng, PATCHING_CASES)):
        n_heads = model.cfg.n_heads
        sender = int(rng.integers(0, n_heads))
        fewest = 1 if index % 2 else 2          # the shipped model's cases have several receivers
        receivers = sorted(int(h) for h in rng.choice(n_heads, size=int(rng.integers(fewest, n_heads + 1)),
                                                      replace=False))
        cases.append(((model, clean, corrupted, sender, receivers, metric), {}))
    return cases


@hidden("10.attribution_patching_residual", compare=_grid_compare(1e-3, 1e-4))
def _attribution_patching_residual(rng):
    return [(case, {}) for case in _patching_cases(rng, PATCHING_CASES)]


# --- composition scores --------------------------------------------------------------------------------

@hidden("10.composition_score", compare=close_within(1e-5, 1e-7))
def _composition_score(rng):
    import torch

    cases = []
    for index in range(CASES_PER_EXERCISE):
        generator = _generator(rng)
        n, m, k = (int(v) for v in rng.integers(2, 9, size=3))
        if index % 2 == 0:
            k = n = m                              # square: the order of the product matters
        if index % 3 == 0:                         # low rank, as a head's OV and QK circuits are
            rank = int(rng.integers(1, m + 1))
            W_A = torch.randn(n, rank, generator=generator) @ torch.randn(rank, m, generator=generator)
        else:
            W_A = torch.randn(n, m, generator=generator)
        W_B = torch.randn(m, k, generator=generator) * float(rng.uniform(0.1, 5.0))
        cases.append(((W_A, W_B), {}))
    return cases
