"""Checkers for lesson 10: mechanistic interpretability with TransformerLens."""
import functools

import numpy as np
import torch

from ...checking import CheckFailure, as_array, expect_close, expect_true
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("10", "mech_interp", "Mechanistic interpretability", 90,
                    "TransformerLens hooks and caches on a 2-layer model the course trained, previous-token and "
                    "induction heads, direct logit attribution, ablation, activation, path and attribution patching, "
                    "QK and OV circuits and composition scores, the induction phase change")


def _patterns(batch, heads, seq, seed):
    """Random causal attention patterns ``[batch, head, query, key]``."""
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(batch, heads, seq, seq, generator=generator) * 2
    mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1)


def _shift_pattern(seq, offset):
    """A pattern attending from every query q ≥ offset to key q − offset (else to key 0)."""
    pattern = torch.zeros(seq, seq)
    for q in range(seq):
        pattern[q, q - offset if q >= offset else 0] = 1.0
    return pattern


@exercise("10.previous_token_score", points=1, reference=ref.previous_token_score,
          title="previous-token score of every head", mistakes=mistakes.PREVIOUS_TOKEN_SCORE)
def check_previous_token_score(previous_token_score):
    exact = torch.stack([_shift_pattern(7, 1), _shift_pattern(7, 0), _shift_pattern(7, 3)])[None]
    cases = [(exact, "one pattern per head: previous token, current token, three back"),
             (_patterns(2, 3, 6, 0), "random causal patterns, batch 2, 3 heads, 6 positions"),
             (_patterns(3, 2, 9, 1), "random causal patterns, batch 3, 2 heads, 9 positions")]
    for pattern, label in cases:
        case = {"pattern": f"shape {tuple(pattern.shape)}: {label}"}
        expect_close(previous_token_score(pattern.clone()), ref.previous_token_score(pattern), atol=1e-5, case=case,
                     what="the per-head scores", mistakes=mistakes.PREVIOUS_TOKEN_SCORE.answers(pattern),
                     hint="take pattern[b, h, q, q − 1] for q = 1 … seq − 1 and average over batch and queries, "
                          "keeping the head axis")


@exercise("10.induction_score", points=2, reference=ref.induction_score,
          title="induction (prefix-matching) score of every head", mistakes=mistakes.INDUCTION_SCORE)
def check_induction_score(induction_score):
    half = 5
    exact = torch.stack([_shift_pattern(2 * half, half - 1), _shift_pattern(2 * half, half),
                         _shift_pattern(2 * half, 1)])[None]
    cases = [(exact, half, "per head: induction, duplicate token, previous token"),
             (_patterns(2, 3, 8, 2), 4, "random causal patterns, half_len 4"),
             (_patterns(2, 2, 12, 3), 6, "random causal patterns, half_len 6")]
    for pattern, half_len, label in cases:
        case = {"pattern": f"shape {tuple(pattern.shape)}: {label}", "half_len": half_len}
        expect_close(induction_score(pattern.clone(), half_len), ref.induction_score(pattern, half_len), atol=1e-5,
                     case=case, what="the per-head induction scores",
                     mistakes=mistakes.INDUCTION_SCORE.answers(pattern, half_len),
                     hint="for q = half_len … 2·half_len − 1 take pattern[b, h, q, q − half_len + 1], then "
                          "average over batch and queries")


@exercise("10.per_token_loss", points=1, reference=ref.per_token_loss, title="per-token next-token loss",
          mistakes=mistakes.PER_TOKEN_LOSS)
def check_per_token_loss(per_token_loss):
    generator = torch.Generator().manual_seed(4)
    for batch, pos, vocab in ((2, 5, 7), (3, 4, 5)):
        logits = torch.randn(batch, pos, vocab, generator=generator) * 2
        tokens = torch.randint(0, vocab, (batch, pos), generator=generator)
        case = {"logits": f"shape {(batch, pos, vocab)}", "tokens": tokens.tolist()}
        expect_close(per_token_loss(logits.clone(), tokens.clone()), ref.per_token_loss(logits, tokens), atol=1e-5,
                     case=case, what="the per-token losses", mistakes=mistakes.PER_TOKEN_LOSS.answers(logits, tokens),
                     hint="return −log_softmax(logits[:, :-1])[b, p, tokens[b, p + 1]], shape [batch, pos − 1]")


@exercise("10.direct_logit_attribution", points=2, reference=ref.direct_logit_attribution,
          title="direct logit attribution of each component", mistakes=mistakes.DIRECT_LOGIT_ATTRIBUTION)
def check_direct_logit_attribution(direct_logit_attribution):
    generator = torch.Generator().manual_seed(5)
    # a square W_U first: taking a row of it still runs, so that mistake gets its hint before a shape error
    for batch, pos, n_comp, d_model, vocab in ((1, 4, 3, 6, 6), (2, 3, 4, 5, 7)):
        components = torch.randn(batch, pos, n_comp, d_model, generator=generator)
        W_U = torch.randn(d_model, vocab, generator=generator)
        targets = torch.randint(0, vocab, (batch, pos), generator=generator)
        case = {"components": f"shape {(batch, pos, n_comp, d_model)}", "W_U": f"shape {(d_model, vocab)}",
                "targets": targets.tolist()}
        want = ref.direct_logit_attribution(components, W_U, targets)
        got = direct_logit_attribution(components.clone(), W_U.clone(), targets.clone())
        expect_close(got, want, atol=1e-4, case=case, what="the attributions",
                     mistakes=mistakes.DIRECT_LOGIT_ATTRIBUTION.answers(components, W_U, targets),
                     hint="attribution[b, p, c] = components[b, p, c] · W_U[:, targets[b, p]]")
        total = as_array(got, case=case).sum(-1)
        logits = (components.sum(2) @ W_U).gather(-1, targets[..., None])[..., 0].numpy()
        expect_true(np.allclose(total, logits, atol=1e-4),
                    "the attributions should add up to the target logit (without the unembedding bias).", case=case)


@exercise("10.ablate_head_hook", points=1, reference=ref.ablate_head_hook, title="zero and mean ablation of one head",
          mistakes=mistakes.ABLATE_HEAD_HOOK)
def check_ablate_head_hook(ablate_head_hook):
    generator = torch.Generator().manual_seed(6)
    z = torch.randn(2, 5, 3, 4, generator=generator)
    mean_z = torch.randn(5, 3, 4, generator=generator)
    small_z = torch.randn(1, 3, 4, 2, generator=generator)
    small_mean = torch.randn(3, 4, 2, generator=generator)
    for z, head, mean in ((z, 1, None), (z, 2, None), (z, 0, mean_z), (z, 2, mean_z),
                          (small_z, 3, None), (small_z, 1, small_mean)):
        case = {"z": f"shape {tuple(z.shape)} = [batch, pos, head, d_head]", "head": head,
                "mean_z": None if mean is None else f"shape {tuple(mean.shape)}"}
        expect_close(ablate_head_hook(z.clone(), head, mean), ref.ablate_head_hook(z, head, mean), case=case,
                     what="the ablated z", mistakes=mistakes.ABLATE_HEAD_HOOK.answers(z, head, mean),
                     hint="copy z, then set z[:, :, head] to 0 (or to mean_z[:, head])")


@exercise("10.normalised_metric", points=1, reference=ref.normalised_metric,
          title="a patching metric normalised to clean = 1, corrupted = 0", mistakes=mistakes.NORMALISED_METRIC)
def check_normalised_metric(normalised_metric):
    # the last two cases have clean < corrupted (a metric that falls when the behaviour is restored)
    for patched, clean, corrupted in ((2.0, 3.0, 1.0), (0.5, 4.0, -1.0), (3.0, 3.0, 1.0), (1.0, 3.0, 1.0),
                                      (-2.0, 1.0, -5.0), (0.5, -2.0, 3.0), (4.0, 1.0, 2.5)):
        case = {"patched": patched, "clean": clean, "corrupted": corrupted}
        expect_close(normalised_metric(patched, clean, corrupted), ref.normalised_metric(patched, clean, corrupted),
                     case=case, what="the normalised metric",
                     mistakes=mistakes.NORMALISED_METRIC.answers(patched, clean, corrupted),
                     hint="(patched − corrupted) / (clean − corrupted)")


# --- checks that run the shipped induction model and a tiny random one ------------------------------


@functools.lru_cache(maxsize=1)
def _model():
    from ...models.attn_only import load_attn_only

    return load_attn_only("induction_2l")[0]


TINY = dict(n_layers=2, n_heads=3, d_model=16, d_head=8, n_ctx=16, d_vocab=13)


@functools.lru_cache(maxsize=1)
def _tiny_model():
    """A second model, unlike the shipped one (3 heads, vocabulary 13, random weights): built once per process."""
    from ...models.attn_only import random_attn_only

    return random_attn_only(TINY, seed=10)


def _answer_logit(query_pos, answers):
    """A metric that is not normalised: the batch mean of the answer's logit at ``query_pos``."""
    return functools.partial(ref.answer_logit, query_pos=query_pos, answers=answers)


# The shipped model does induction only late in a sequence (it was trained on repeats that start at position 10
# or later): on repeated tokens of half-length 5 it gives the answer p ≈ 0.02; at query positions 25 and 26 of
# half-length 14 the cases below give it p between 0.28 and 0.80 and rank it first. The checks patch there
# (tests/lessons/test_lesson10_mech_interp.py holds them to it).
SHIPPED_HALF = 14


@functools.lru_cache(maxsize=None)
def _patching_case(seed, corrupt_pos, swap_pos=None, tiny=False):
    """``(model, clean, corrupted, metric, case)``: the shipped model with the notebook's metric (the normalised
    logit difference, on a swap pair), or the tiny model with the raw answer logit."""
    from ...data.induction_tasks import induction_patching_pair

    if tiny:
        model = _tiny_model()
        clean, corrupted, query_pos, answers = induction_patching_pair(1, 4, corrupt_pos, model.cfg.d_vocab,
                                                                       seed=seed)
        metric = _answer_logit(query_pos, answers)
        described = f"the raw answer logit at position {query_pos} (not normalised)"
        name = "a small random model: 2 layers, 3 heads, vocabulary 13"
    else:
        model = _model()
        clean, corrupted, query_pos, answers, distractors = ref.induction_swap_pair(
            2, SHIPPED_HALF, corrupt_pos, swap_pos, model.cfg.d_vocab, seed=seed)
        metric = ref.patching_metric(model, clean, corrupted, query_pos, answers, distractors=distractors)
        described = (f"logit(answer) − logit(distractor) at position {query_pos}, normalised (clean 1, "
                     f"corrupted 0); answers {answers.tolist()}, distractors {distractors.tolist()}")
        name = "the shipped induction model"
    case = {"model": name, "clean_tokens": clean.tolist(), "corrupted_tokens": corrupted.tolist(),
            "metric": described}
    return model, clean, corrupted, metric, case


@exercise("10.residual_patching", points=2, reference=ref.residual_patching,
          title="activation patching over the residual stream (layer × position)",
          mistakes=mistakes.RESIDUAL_PATCHING)
def check_residual_patching(residual_patching):
    for model, clean, corrupted, metric, case in (_patching_case(0, 12, 5), _patching_case(3, 2, tiny=True)):
        want = ref.residual_patching(model, clean, corrupted, metric).numpy()
        got = as_array(residual_patching(model, clean, corrupted, metric), shape=want.shape, case=case,
                       what="the result ([n_layers, pos])")
        expect_close(got, want, rtol=1e-4, atol=1e-4, case=case, what="the patching grid",
                     mistakes=mistakes.RESIDUAL_PATCHING.answers(model, clean, corrupted, metric),
                     hint="for each layer L and position p: run corrupted_tokens with a hook on "
                          "blocks.L.hook_resid_pre that copies the clean value at p, and record "
                          "metric(logits)")


@exercise("10.head_patching", points=2, reference=ref.head_patching,
          title="activation patching of each head's output", mistakes=mistakes.HEAD_PATCHING)
def check_head_patching(head_patching):
    for model, clean, corrupted, metric, case in (_patching_case(1, 11, 3), _patching_case(4, 1, tiny=True)):
        want = ref.head_patching(model, clean, corrupted, metric).numpy()
        got = as_array(head_patching(model, clean, corrupted, metric), shape=want.shape, case=case,
                       what="the result ([n_layers, n_heads])")
        expect_close(got, want, rtol=1e-4, atol=1e-4, case=case, what="the patching grid",
                     mistakes=mistakes.HEAD_PATCHING.answers(model, clean, corrupted, metric),
                     hint="for each (layer, head): hook blocks.L.attn.hook_z, copy the clean z[:, :, head], "
                          "record metric(logits) on the corrupted run")


@functools.lru_cache(maxsize=1)
def _role_heads():
    """The shipped model's layer-0 previous-token head and layer-1 induction head (highest scores)."""
    from ...data.induction_tasks import repeated_random_tokens

    model = _model()
    tokens = repeated_random_tokens(8, 20, model.cfg.d_vocab, seed=3)
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens)
    previous = int(ref.previous_token_score(cache["blocks.0.attn.hook_pattern"]).argmax())
    induction = int(ref.induction_score(cache["blocks.1.attn.hook_pattern"], 20).argmax())
    return previous, induction


@exercise("10.path_patch_keys", points=3, reference=ref.path_patch_keys,
          title="path patching from a layer-0 head to the keys of layer-1 heads", mistakes=mistakes.PATH_PATCH_KEYS)
def check_path_patch_keys(path_patch_keys):
    previous, induction = _role_heads()
    other = (induction + 1) % _model().cfg.n_heads
    cases = [(_patching_case(0, 12, 5), previous, receivers) for receivers in ([induction], [other], [induction, other])]
    cases.append((_patching_case(3, 2, tiny=True), (previous + 1) % TINY["n_heads"], [0, 2]))
    for (model, clean, corrupted, metric, case), sender, receivers in cases:
        this_case = dict(case, sender_head=sender, receiver_heads=receivers)
        want = ref.path_patch_keys(model, clean, corrupted, sender, receivers, metric)
        got = as_array(path_patch_keys(model, clean, corrupted, sender, list(receivers), metric), shape=(),
                       case=this_case, what="the patched metric")
        expect_close(got, want, rtol=1e-4, atol=1e-4, case=this_case, what="the patched metric",
                     mistakes=mistakes.PATH_PATCH_KEYS.answers(model, clean, corrupted, sender, receivers, metric),
                     hint="add (z_clean − z_corrupted)[:, :, sender] @ W_O[0, sender] @ W_K[1, r] to the "
                          "keys of each receiver r in a corrupted run")


NO_GRAD_HINT = ("nothing on the path to the metric required grad, so backward() had no graph to follow: the pass "
                "you backpropagate through must run outside torch.no_grad() (and without .detach() before the "
                "metric); the model's weights require grad, so its activations then do too")


@exercise("10.attribution_patching_residual", points=2, reference=ref.attribution_patching_residual,
          title="attribution patching: a gradient estimate of residual patching",
          mistakes=mistakes.ATTRIBUTION_PATCHING_RESIDUAL)
def check_attribution_patching_residual(attribution_patching_residual):
    for model, clean, corrupted, metric, case in (_patching_case(2, 12, 4), _patching_case(5, 0, tiny=True)):
        want = ref.attribution_patching_residual(model, clean, corrupted, metric).numpy()
        try:
            answer = attribution_patching_residual(model, clean, corrupted, metric)
        except CheckFailure as failure:
            if "does not require grad" not in failure.message:
                raise
            raise CheckFailure(failure.message, case=failure.case, show_values=False, hint=NO_GRAD_HINT) from None
        got = as_array(answer, shape=want.shape, case=case, what="the estimates ([n_layers, pos])")
        expect_close(got, want, rtol=1e-3, atol=1e-4, case=case, what="the attribution estimates",
                     mistakes=mistakes.ATTRIBUTION_PATCHING_RESIDUAL.answers(model, clean, corrupted, metric),
                     hint="run corrupted_tokens keeping each hook_resid_pre and its gradient (a backward "
                          "hook, or retain_grad), backpropagate metric(logits), then sum "
                          "(clean − corrupted) × grad over batch and d_model")


@exercise("10.composition_score", points=2, reference=ref.composition_score,
          title="composition score of two matrices (Elhage et al., 2021)", mistakes=mistakes.COMPOSITION_SCORE)
def check_composition_score(composition_score):
    generator = torch.Generator().manual_seed(7)
    low_rank = torch.randn(6, 2, generator=generator) @ torch.randn(2, 6, generator=generator)
    # square cases first: the wrong order and the element-wise product still run on them, and get their hints
    cases = [(torch.randn(5, 5, generator=generator), torch.randn(5, 5, generator=generator) * 3,
              "two random 5 × 5 matrices"),
             (low_rank, low_rank.T.clone(), "a rank-2 6 × 6 matrix and its transpose"),
             (torch.eye(4)[:, :2] @ torch.eye(4)[:2], torch.eye(4)[:, 2:] @ torch.eye(4)[2:],
              "W_A writes only where W_B does not read (the score is 0)"),
             (torch.randn(3, 7, generator=generator) * 0.1, torch.randn(7, 4, generator=generator),
              "W_A 3 × 7, W_B 7 × 4")]
    for W_A, W_B, label in cases:
        case = {"W_A": f"shape {tuple(W_A.shape)}", "W_B": f"shape {tuple(W_B.shape)}", "what": label}
        got = as_array(composition_score(W_A.clone(), W_B.clone()), shape=(), case=case, what="the score")
        expect_close(got, ref.composition_score(W_A, W_B), rtol=1e-5, atol=1e-7, case=case, what="the score",
                     mistakes=mistakes.COMPOSITION_SCORE.answers(W_A, W_B),
                     hint="the Frobenius norm of the matrix product W_A @ W_B, divided by the product of the two "
                          "Frobenius norms")
        expect_true(-1e-6 <= float(got) <= 1 + 1e-6, "a composition score lies between 0 and 1.", case=case)
