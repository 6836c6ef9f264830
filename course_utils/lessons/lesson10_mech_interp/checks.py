"""Checkers for lesson 10: mechanistic interpretability with TransformerLens."""
import functools

import numpy as np
import torch

from ...checking import CheckFailure, as_array, expect_close, expect_true
from ...exercises import exercise
from .. import LessonInfo
from . import reference as ref

LESSON = LessonInfo("10", "mech_interp", "Mechanistic interpretability", 90,
                    "TransformerLens hooks and caches on a 2-layer model the course trained, previous-token and "
                    "induction heads, direct logit attribution, ablation, activation, path and attribution patching")


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
          title="previous-token score of every head")
def check_previous_token_score(previous_token_score):
    exact = torch.stack([_shift_pattern(7, 1), _shift_pattern(7, 0), _shift_pattern(7, 3)])[None]
    cases = [(exact, "one pattern per head: previous token, current token, three back"),
             (_patterns(2, 3, 6, 0), "random causal patterns, batch 2, 3 heads, 6 positions"),
             (_patterns(3, 2, 9, 1), "random causal patterns, batch 3, 2 heads, 9 positions")]
    for pattern, label in cases:
        case = {"pattern": f"shape {tuple(pattern.shape)}: {label}"}
        diag = pattern.diagonal(offset=-1, dim1=-2, dim2=-1)
        expect_close(previous_token_score(pattern.clone()), ref.previous_token_score(pattern), atol=1e-5, case=case,
                     what="the per-head scores",
                     mistakes={"the main diagonal is attention to the current token; the previous token is key q − 1":
                               pattern.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1)),
                               "only queries q ≥ 1 have a previous token: average over those seq − 1 queries":
                               diag.sum(-1).mean(0) / pattern.shape[-1],
                               "key q + 1 is in the future (always 0 under the causal mask); look one step left":
                               pattern.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1))},
                     hint="take pattern[b, h, q, q − 1] for q = 1 … seq − 1 and average over batch and queries, "
                          "keeping the head axis")


@exercise("10.induction_score", points=2, reference=ref.induction_score,
          title="induction (prefix-matching) score of every head")
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
                     mistakes={"key q − half_len holds the earlier copy of the current token (duplicate-token "
                               "attention); an induction head attends one step later, to q − half_len + 1":
                               ref.duplicate_token_score(pattern, half_len),
                               "your key is offset by one: the induction target is q − half_len + 1":
                               pattern.diagonal(offset=-(half_len - 2), dim1=-2, dim2=-1)[..., 2:].mean(dim=(0, -1)),
                               "only queries in the second half (q ≥ half_len) have an earlier copy; "
                               "query half_len − 1 is still in the first half":
                               pattern.diagonal(offset=-(half_len - 1), dim1=-2, dim2=-1).mean(dim=(0, -1))},
                     hint="for q = half_len … 2·half_len − 1 take pattern[b, h, q, q − half_len + 1], then "
                          "average over batch and queries")


@exercise("10.per_token_loss", points=1, reference=ref.per_token_loss, title="per-token next-token loss")
def check_per_token_loss(per_token_loss):
    generator = torch.Generator().manual_seed(4)
    for batch, pos, vocab in ((2, 5, 7), (3, 4, 5)):
        logits = torch.randn(batch, pos, vocab, generator=generator) * 2
        tokens = torch.randint(0, vocab, (batch, pos), generator=generator)
        case = {"logits": f"shape {(batch, pos, vocab)}", "tokens": tokens.tolist()}
        log_probs = logits.log_softmax(-1)
        expect_close(per_token_loss(logits.clone(), tokens.clone()), ref.per_token_loss(logits, tokens), atol=1e-5,
                     case=case, what="the per-token losses",
                     mistakes={"the logits at position p predict the NEXT token, tokens[:, p + 1]":
                               -log_probs[:, :-1].gather(-1, tokens[:, :-1, None])[..., 0],
                               "the loss is the NEGATIVE log-probability of the next token":
                               log_probs[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0],
                               "use log_softmax: the loss is −log p, not −p or −logit":
                               -logits[:, :-1].softmax(-1).gather(-1, tokens[:, 1:, None])[..., 0]},
                     hint="return −log_softmax(logits[:, :-1])[b, p, tokens[b, p + 1]], shape [batch, pos − 1]")


@exercise("10.direct_logit_attribution", points=2, reference=ref.direct_logit_attribution,
          title="direct logit attribution of each component")
def check_direct_logit_attribution(direct_logit_attribution):
    generator = torch.Generator().manual_seed(5)
    for batch, pos, n_comp, d_model, vocab in ((2, 3, 4, 5, 7), (1, 4, 3, 6, 6)):
        components = torch.randn(batch, pos, n_comp, d_model, generator=generator)
        W_U = torch.randn(d_model, vocab, generator=generator)
        targets = torch.randint(0, vocab, (batch, pos), generator=generator)
        case = {"components": f"shape {(batch, pos, n_comp, d_model)}", "W_U": f"shape {(d_model, vocab)}",
                "targets": targets.tolist()}
        want = ref.direct_logit_attribution(components, W_U, targets)
        mistakes = {"the answer's logit comes from its column W_U[:, target]: multiply each component by that "
                    "column, do not add the components first": (components.sum(2) @ W_U).gather(
                        -1, targets[..., None]).expand(-1, -1, n_comp),
                    "the target at each position is targets[b, p]: do not shift it; the caller already did":
                    ref.direct_logit_attribution(components[:, :-1], W_U, targets[:, 1:])}
        if d_model == vocab:
            mistakes["W_U is [d_model, vocab]: the target's direction is the column W_U[:, target], not a row"] = \
                ref.direct_logit_attribution(components, W_U.T, targets)
        got = direct_logit_attribution(components.clone(), W_U.clone(), targets.clone())
        expect_close(got, want, atol=1e-4, case=case, what="the attributions", mistakes=mistakes,
                     hint="attribution[b, p, c] = components[b, p, c] · W_U[:, targets[b, p]]")
        total = as_array(got, case=case).sum(-1)
        logits = (components.sum(2) @ W_U).gather(-1, targets[..., None])[..., 0].numpy()
        expect_true(np.allclose(total, logits, atol=1e-4),
                    "the attributions should add up to the target logit (without the unembedding bias).", case=case)


@exercise("10.ablate_head_hook", points=1, reference=ref.ablate_head_hook, title="zero and mean ablation of one head")
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
        want = ref.ablate_head_hook(z, head, mean)
        mistakes = {"ablate only the chosen head; the other heads keep their values":
                    torch.zeros_like(z) if mean is None else mean.expand_as(z),
                    "mean ablation replaces the head's vectors with mean_z, it does not subtract it":
                    z - ref.ablate_head_hook(torch.zeros_like(z), head, mean)}
        if head < z.shape[1]:
            wrong_axis = z.clone()
            wrong_axis[:, head] = 0.0 if mean is None else mean[head]
            mistakes["hook_z is [batch, pos, head, d_head]: the head is the third axis, z[:, :, head]"] = wrong_axis
        expect_close(ablate_head_hook(z.clone(), head, mean), want, case=case, what="the ablated z",
                     mistakes=mistakes, hint="copy z, then set z[:, :, head] to 0 (or to mean_z[:, head])")


@exercise("10.normalised_metric", points=1, reference=ref.normalised_metric,
          title="a patching metric normalised to clean = 1, corrupted = 0")
def check_normalised_metric(normalised_metric):
    # the last two cases have clean < corrupted (a metric that falls when the behaviour is restored)
    for patched, clean, corrupted in ((2.0, 3.0, 1.0), (0.5, 4.0, -1.0), (3.0, 3.0, 1.0), (1.0, 3.0, 1.0),
                                      (-2.0, 1.0, -5.0), (0.5, -2.0, 3.0), (4.0, 1.0, 2.5)):
        case = {"patched": patched, "clean": clean, "corrupted": corrupted}
        expect_close(normalised_metric(patched, clean, corrupted), ref.normalised_metric(patched, clean, corrupted),
                     case=case, what="the normalised metric",
                     mistakes={"it is the other way round: clean should score 1 and corrupted 0":
                               (patched - clean) / (corrupted - clean),
                               "divide by the gap between clean and corrupted to normalise":
                               patched - corrupted,
                               "subtract the corrupted value before dividing, so corrupted maps to 0":
                               patched / clean,
                               "divide by clean − corrupted itself, not its absolute value: when the clean run "
                               "scores lower than the corrupted one, the sign of the gap matters":
                               (patched - corrupted) / abs(clean - corrupted)},
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


@functools.lru_cache(maxsize=None)
def _patching_case(seed, corrupt_pos, tiny=False):
    """``(model, clean, corrupted, metric, case)``: the shipped model with the notebook's normalised metric, or
    the tiny model with the raw answer logit."""
    from ...data.induction_tasks import induction_patching_pair

    model = _tiny_model() if tiny else _model()
    batch, half = (1, 4) if tiny else (2, 5)
    clean, corrupted, query_pos, answers = induction_patching_pair(batch, half, corrupt_pos, model.cfg.d_vocab,
                                                                   seed=seed)
    if tiny:
        metric = _answer_logit(query_pos, answers)
        described = f"the raw answer logit at position {query_pos} (not normalised)"
        name = "a small random model: 2 layers, 3 heads, vocabulary 13"
    else:
        metric = ref.patching_metric(model, clean, corrupted, query_pos, answers)
        described = f"answer logit at position {query_pos}, normalised (clean 1, corrupted 0)"
        name = "the shipped induction model"
    case = {"model": name, "clean_tokens": clean.tolist(), "corrupted_tokens": corrupted.tolist(),
            "metric": described}
    return model, clean, corrupted, metric, case


def _expect_close_lazily(got, want, mistakes, **kwargs):
    """``expect_close``, computing the costly mistake candidates (whole patching runs) only for a wrong answer."""
    try:
        expect_close(got, want, **kwargs)
    except CheckFailure:
        expect_close(got, want, mistakes=mistakes(), **kwargs)


@exercise("10.residual_patching", points=2, reference=ref.residual_patching,
          title="activation patching over the residual stream (layer × position)")
def check_residual_patching(residual_patching):
    for model, clean, corrupted, metric, case in (_patching_case(0, 1), _patching_case(3, 2, tiny=True)):
        want = ref.residual_patching(model, clean, corrupted, metric).numpy()
        got = as_array(residual_patching(model, clean, corrupted, metric), shape=want.shape, case=case,
                       what="the result ([n_layers, pos])")

        def mistakes():
            shifted = np.concatenate([want[:, 1:], np.zeros((want.shape[0], 1))], axis=1)
            shifted_back = np.concatenate([np.zeros((want.shape[0], 1)), want[:, :-1]], axis=1)
            return {"patch position pos itself: resid[:, pos] = clean_resid[:, pos]": shifted,
                    "patch position pos itself, not the one before it": shifted_back,
                    "run the CORRUPTED tokens and patch in activations cached on the CLEAN run":
                    ref.residual_patching(model, corrupted, clean, metric).numpy()}

        _expect_close_lazily(got, want, mistakes, rtol=1e-4, atol=1e-4, case=case, what="the patching grid",
                             hint="for each layer L and position p: run corrupted_tokens with a hook on "
                                  "blocks.L.hook_resid_pre that copies the clean value at p, and record "
                                  "metric(logits)")


@exercise("10.head_patching", points=2, reference=ref.head_patching,
          title="activation patching of each head's output")
def check_head_patching(head_patching):
    for model, clean, corrupted, metric, case in (_patching_case(1, 2), _patching_case(4, 1, tiny=True)):
        want = ref.head_patching(model, clean, corrupted, metric).numpy()
        got = as_array(head_patching(model, clean, corrupted, metric), shape=want.shape, case=case,
                       what="the result ([n_layers, n_heads])")

        def mistakes():
            return {"run the CORRUPTED tokens and patch in activations cached on the CLEAN run":
                    ref.head_patching(model, corrupted, clean, metric).numpy(),
                    "hook_z is [batch, pos, head, d_head]: index the head as z[:, :, head]":
                    _head_patching_wrong_axis(model, clean, corrupted, metric)}

        _expect_close_lazily(got, want, mistakes, rtol=1e-4, atol=1e-4, case=case, what="the patching grid",
                             hint="for each (layer, head): hook blocks.L.attn.hook_z, copy the clean z[:, :, head], "
                                  "record metric(logits) on the corrupted run")


def _head_patching_wrong_axis(model, clean, corrupted, metric):
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean)
    results = torch.zeros(model.cfg.n_layers, model.cfg.n_heads)
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.attn.hook_z"
        for head in range(model.cfg.n_heads):
            def patch(z, hook, head=head, name=name):
                z = z.clone()
                z[:, head] = clean_cache[name][:, head]
                return z

            with torch.no_grad():
                results[layer, head] = float(metric(model.run_with_hooks(corrupted, fwd_hooks=[(name, patch)])))
    return results.numpy()


@functools.lru_cache(maxsize=1)
def _role_heads():
    """The shipped model's layer-0 previous-token head and layer-1 induction head (highest scores)."""
    from ...data.induction_tasks import repeated_random_tokens

    model = _model()
    tokens = repeated_random_tokens(8, 10, model.cfg.d_vocab, seed=3)
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens)
    previous = int(ref.previous_token_score(cache["blocks.0.attn.hook_pattern"]).argmax())
    induction = int(ref.induction_score(cache["blocks.1.attn.hook_pattern"], 10).argmax())
    return previous, induction


@exercise("10.path_patch_keys", points=3, reference=ref.path_patch_keys,
          title="path patching from a layer-0 head to the keys of layer-1 heads")
def check_path_patch_keys(path_patch_keys):
    previous, induction = _role_heads()
    other = (induction + 1) % _model().cfg.n_heads
    cases = [(_patching_case(0, 1), previous, receivers) for receivers in ([induction], [other], [induction, other])]
    cases.append((_patching_case(3, 2, tiny=True), (previous + 1) % TINY["n_heads"], [0, 2]))
    for (model, clean, corrupted, metric, case), sender, receivers in cases:
        this_case = dict(case, sender_head=sender, receiver_heads=receivers)
        want = ref.path_patch_keys(model, clean, corrupted, sender, receivers, metric)
        got = as_array(path_patch_keys(model, clean, corrupted, sender, list(receivers), metric), shape=(),
                       case=this_case, what="the patched metric")

        def mistakes():
            return {"patch only the path into the receivers' KEYS; patching the sender's whole output also "
                    "changes every other path": float(ref.head_patching(model, clean, corrupted, metric)[0, sender]),
                    "the sender's information enters the induction head through its keys, not its queries":
                    ref.path_patch_into(model, clean, corrupted, sender, receivers, metric, "q"),
                    "add the sender's change to the keys of EVERY receiver head, and only those":
                    ref.path_patch_keys(model, clean, corrupted, sender, receivers[:1], metric)
                    if len(receivers) > 1 else float("nan")}

        _expect_close_lazily(got, want, mistakes, rtol=1e-4, atol=1e-4, case=this_case, what="the patched metric",
                             hint="add (z_clean − z_corrupted)[:, :, sender] @ W_O[0, sender] @ W_K[1, r] to the "
                                  "keys of each receiver r in a corrupted run")


@exercise("10.attribution_patching_residual", points=2, reference=ref.attribution_patching_residual,
          title="attribution patching: a gradient estimate of residual patching")
def check_attribution_patching_residual(attribution_patching_residual):
    for model, clean, corrupted, metric, case in (_patching_case(0, 1), _patching_case(5, 0, tiny=True)):
        want = ref.attribution_patching_residual(model, clean, corrupted, metric).numpy()
        got = as_array(attribution_patching_residual(model, clean, corrupted, metric), shape=want.shape, case=case,
                       what="the estimates ([n_layers, pos])")

        def mistakes():
            on_clean = ref.attribution_patching_residual(model, corrupted, clean, metric).numpy()
            return {"the estimate is (clean − corrupted) · gradient; you have the difference backwards": -want,
                    "take the gradient on the CORRUPTED run (where patching happens) and multiply by "
                    "clean − corrupted": -on_clean}

        _expect_close_lazily(got, want, mistakes, rtol=1e-3, atol=1e-4, case=case,
                             what="the attribution estimates",
                             hint="run corrupted_tokens keeping each hook_resid_pre and its gradient (a backward "
                                  "hook, or retain_grad), backpropagate metric(logits), then sum "
                                  "(clean − corrupted) × grad over batch and d_model")
