"""The mistakes learners make in lesson 10, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import torch

from ...checking import Mistakes
from . import reference as ref


def _attention_back(pattern, back, skip=0):
    """Per head: the mean attention from query q to key q − back, leaving out the first ``skip`` queries."""
    return pattern.diagonal(offset=-back, dim1=-2, dim2=-1)[..., skip:].mean(dim=(0, -1))


PREVIOUS_TOKEN_SCORE = Mistakes({
    "the main diagonal is attention to the current token; the previous token is key q − 1":
        lambda pattern: _attention_back(pattern, 0),
    "only queries q ≥ 1 have a previous token: average over those seq − 1 queries":
        lambda pattern: pattern.diagonal(offset=-1, dim1=-2, dim2=-1).sum(-1).mean(0) / pattern.shape[-1],
    "key q + 1 is in the future (always 0 under the causal mask); look one step left":
        lambda pattern: _attention_back(pattern, -1),
})

INDUCTION_SCORE = Mistakes({
    "key q − half_len holds the earlier copy of the current token (duplicate-token attention); an induction "
    "head attends one step later, to q − half_len + 1": ref.duplicate_token_score,
    "your key is offset by one: the induction target is q − half_len + 1":
        lambda pattern, half_len: _attention_back(pattern, half_len - 2, skip=2),
    "only queries in the second half (q ≥ half_len) have an earlier copy; query half_len − 1 is still in the "
    "first half": lambda pattern, half_len: _attention_back(pattern, half_len - 1),
})

PER_TOKEN_LOSS = Mistakes({
    "the logits at position p predict the NEXT token, tokens[:, p + 1]":
        lambda logits, tokens: -logits[:, :-1].log_softmax(-1).gather(-1, tokens[:, :-1, None])[..., 0],
    "the loss is the NEGATIVE log-probability of the next token":
        lambda logits, tokens: logits[:, :-1].log_softmax(-1).gather(-1, tokens[:, 1:, None])[..., 0],
    "use log_softmax: the loss is −log p, not −p or −logit":
        lambda logits, tokens: -logits[:, :-1].softmax(-1).gather(-1, tokens[:, 1:, None])[..., 0],
})


def attribute_the_summed_stream(components, W_U, targets):
    target_logits = (components.sum(2) @ W_U).gather(-1, targets[..., None])
    return target_logits.expand(-1, -1, components.shape[2])


DIRECT_LOGIT_ATTRIBUTION = Mistakes({
    "the answer's logit comes from its column W_U[:, target]: multiply each component by that column, do not "
    "add the components first": attribute_the_summed_stream,
    "the target at each position is targets[b, p]: do not shift it; the caller already did":
        lambda components, W_U, targets: ref.direct_logit_attribution(components[:, :-1], W_U, targets[:, 1:]),
    # only a square W_U has rows as long as a component: otherwise this raises, and names nothing
    "W_U is [d_model, vocab]: the target's direction is the column W_U[:, target], not a row":
        lambda components, W_U, targets: torch.einsum("bpcd,bpd->bpc", components, W_U[targets]),
})


def ablate_on_the_position_axis(z, head, mean_z=None):
    z = z.clone()
    z[:, head] = 0.0 if mean_z is None else mean_z[head]
    return z


def ablate_every_head(z, head, mean_z=None):
    return torch.zeros_like(z) if mean_z is None else mean_z.expand_as(z).clone()


def subtract_the_mean(z, head, mean_z=None):
    z = z.clone()
    z[:, :, head] = 0.0 if mean_z is None else z[:, :, head] - mean_z[:, head]
    return z


ABLATE_HEAD_HOOK = Mistakes({
    "ablate only the chosen head; the other heads keep their values": ablate_every_head,
    "mean ablation replaces the head's vectors with mean_z, it does not subtract it": subtract_the_mean,
    "hook_z is [batch, pos, head, d_head]: the head is the third axis, z[:, :, head]": ablate_on_the_position_axis,
})

NORMALISED_METRIC = Mistakes({
    "it is the other way round: clean should score 1 and corrupted 0":
        lambda patched, clean, corrupted: (patched - clean) / (corrupted - clean),
    "divide by the gap between clean and corrupted to normalise": lambda patched, clean, corrupted: patched - corrupted,
    "subtract the corrupted value before dividing, so corrupted maps to 0":
        lambda patched, clean, corrupted: patched / clean,
    "divide by clean − corrupted itself, not its absolute value: when the clean run scores lower than the "
    "corrupted one, the sign of the gap matters":
        lambda patched, clean, corrupted: (patched - corrupted) / abs(clean - corrupted),
})


def _patched_metric(model, corrupted_tokens, clean_cache, name, index, metric):
    """The metric of the corrupted run with hook ``name`` at ``index`` replaced by its value on the clean run."""
    def patch(act, hook):
        act = act.clone()
        act[index] = clean_cache[name][index]
        return act

    with torch.no_grad():
        return float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, patch)])))


def patching_with(*, hook, index, over_heads=False, offset=0):
    """residual_patching (head_patching with ``over_heads``) with one thing changed: cell (layer, i) patches hook
    ``blocks.{layer}.{hook}`` at ``index(i)`` only, and lands in cell i + offset (a cell nothing lands in stays 0)."""
    def patching(model, clean_tokens, corrupted_tokens, metric):
        with torch.no_grad():
            _, clean_cache = model.run_with_cache(clean_tokens)
        n_cells = model.cfg.n_heads if over_heads else clean_tokens.shape[1]
        results = torch.zeros(model.cfg.n_layers, n_cells)
        for layer in range(model.cfg.n_layers):
            for cell in range(n_cells):
                if 0 <= cell + offset < n_cells:
                    results[layer, cell + offset] = _patched_metric(model, corrupted_tokens, clean_cache,
                                                                     f"blocks.{layer}.{hook}", index(cell), metric)
        return results
    return patching


RESIDUAL_PATCHING = Mistakes({
    "patch position pos itself: resid[:, pos] = clean_resid[:, pos]":
        patching_with(hook="hook_resid_pre", index=lambda pos: (slice(None), pos), offset=-1),
    "patch position pos itself, not the one before it":
        patching_with(hook="hook_resid_pre", index=lambda pos: (slice(None), pos), offset=1),
    "run the CORRUPTED tokens and patch in activations cached on the CLEAN run":
        lambda model, clean_tokens, corrupted_tokens, metric:
        ref.residual_patching(model, corrupted_tokens, clean_tokens, metric),
})


HEAD_PATCHING = Mistakes({
    "run the CORRUPTED tokens and patch in activations cached on the CLEAN run":
        lambda model, clean_tokens, corrupted_tokens, metric:
        ref.head_patching(model, corrupted_tokens, clean_tokens, metric),
    "hook_z is [batch, pos, head, d_head]: index the head as z[:, :, head]":
        patching_with(hook="attn.hook_z", index=lambda head: (slice(None), head), over_heads=True),
})


def patch_the_whole_sender(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    """Patches the sender's clean output into every path, not only into the receivers' keys."""
    name = "blocks.0.attn.hook_z"
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean_tokens)

    def patch(z, hook):
        z = z.clone()
        z[:, :, sender_head] = clean_cache[name][:, :, sender_head]
        return z

    with torch.no_grad():
        return float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, patch)])))


PATH_PATCH_KEYS = Mistakes({
    "patch only the path into the receivers' KEYS; patching the sender's whole output also changes every other "
    "path": patch_the_whole_sender,
    "the sender's information enters the induction head through its keys, not its queries":
        lambda model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric:
        ref.path_patch_into(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric, "q"),
    "add the sender's change to the keys of EVERY receiver head, and only those":
        lambda model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric:
        ref.path_patch_keys(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads[:1], metric),
})

ATTRIBUTION_PATCHING_RESIDUAL = Mistakes({
    "the estimate is (clean − corrupted) · gradient; you have the difference backwards":
        lambda model, clean_tokens, corrupted_tokens, metric:
        -ref.attribution_patching_residual(model, clean_tokens, corrupted_tokens, metric),
    "take the gradient on the CORRUPTED run (where patching happens) and multiply by clean − corrupted":
        lambda model, clean_tokens, corrupted_tokens, metric:
        -ref.attribution_patching_residual(model, corrupted_tokens, clean_tokens, metric),
})


def _frobenius(matrix):
    return matrix.double().pow(2).sum().sqrt()


COMPOSITION_SCORE = Mistakes({
    "multiply the matrices (W_A @ W_B), not their entries (W_A * W_B)":
        lambda W_A, W_B: float(_frobenius(W_A * W_B) / (_frobenius(W_A) * _frobenius(W_B))),
    "W_A writes and W_B reads: the product is W_A @ W_B, not W_B @ W_A":
        lambda W_A, W_B: float(_frobenius(W_B @ W_A) / (_frobenius(W_A) * _frobenius(W_B))),
    "divide by the product of the two norms, ||W_A||_F · ||W_B||_F, so the score does not grow with their scale":
        lambda W_A, W_B: float(_frobenius(W_A @ W_B)),
    "the Frobenius norm is the square root of the sum of squares: take the square roots":
        lambda W_A, W_B: float(_frobenius(W_A @ W_B) ** 2 / (_frobenius(W_A) ** 2 * _frobenius(W_B) ** 2)),
})
