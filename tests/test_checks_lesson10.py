"""Checker contract for lesson 10: the reference passes, the stub is not attempted, mistakes fail."""
import torch

from checker_contract import contract_tests
from course_utils.reference import lesson10_mech_interp as ref


def previous_token_on_diagonal(pattern):
    return pattern.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1))


def previous_token_all_queries(pattern):
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).sum(-1).mean(0) / pattern.shape[-1]


def previous_token_keeps_batch(pattern):
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)


def induction_offset_by_one(pattern, half_len):          # the duplicate-token score
    return pattern.diagonal(offset=-half_len, dim1=-2, dim2=-1).mean(dim=(0, -1))


def induction_includes_first_half(pattern, half_len):
    return pattern.diagonal(offset=-(half_len - 1), dim1=-2, dim2=-1).mean(dim=(0, -1))


def induction_two_ahead(pattern, half_len):
    return pattern.diagonal(offset=-(half_len - 2), dim1=-2, dim2=-1)[..., 2:].mean(dim=(0, -1))


def loss_unshifted(logits, tokens):
    return -logits[:, :-1].log_softmax(-1).gather(-1, tokens[:, :-1, None])[..., 0]


def loss_positive(logits, tokens):
    return -ref.per_token_loss(logits, tokens)


def loss_mean_over_batch(logits, tokens):
    return ref.per_token_loss(logits, tokens).mean(0)


def dla_sum_first(components, W_U, targets):
    total = (components.sum(2) @ W_U).gather(-1, targets[..., None])
    return total.expand(-1, -1, components.shape[2])


def dla_all_vocab(components, W_U, targets):
    return components @ W_U


def dla_transposed(components, W_U, targets):
    return ref.direct_logit_attribution(components, W_U.T, targets) if W_U.shape[0] == W_U.shape[1] else \
        torch.einsum("bpcd,vd->bpcv", components, W_U.T)[..., 0]


def ablate_wrong_axis(z, head, mean_z=None):
    z = z.clone()
    z[:, head] = 0.0 if mean_z is None else mean_z[head]
    return z


def ablate_every_head(z, head, mean_z=None):
    return torch.zeros_like(z) if mean_z is None else mean_z.expand_as(z).clone()


def ablate_mean_subtracted(z, head, mean_z=None):
    z = z.clone()
    if mean_z is None:
        z[:, :, head] = 0.0
    else:
        z[:, :, head] = z[:, :, head] - mean_z[:, head]
    return z


def _patch_resid(model, clean_tokens, corrupted_tokens, metric, offset=0, reverse=False):
    if reverse:
        clean_tokens, corrupted_tokens = corrupted_tokens, clean_tokens
    _, cache = model.run_with_cache(clean_tokens)
    n_pos = clean_tokens.shape[1]
    results = torch.zeros(model.cfg.n_layers, n_pos)
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.hook_resid_pre"
        for pos in range(n_pos):
            source = pos + offset
            if not 0 <= source < n_pos:
                results[layer, pos] = 0.0
                continue

            def hook(resid, hook, source=source, name=name):
                resid = resid.clone()
                resid[:, source] = cache[name][:, source]
                return resid

            with torch.no_grad():
                results[layer, pos] = float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, hook)])))
    return results


def resid_patch_wrong_position(model, clean_tokens, corrupted_tokens, metric):
    return _patch_resid(model, clean_tokens, corrupted_tokens, metric, offset=1)


def resid_patch_reversed(model, clean_tokens, corrupted_tokens, metric):
    return _patch_resid(model, clean_tokens, corrupted_tokens, metric, reverse=True)


def resid_patch_unnormalised(model, clean_tokens, corrupted_tokens, metric):
    """Returns the raw answer logit instead of the metric it was given."""
    raw = _patch_resid(model, clean_tokens, corrupted_tokens, lambda logits: logits[:, -1].max(-1).values.mean())
    return raw


def resid_patch_post(model, clean_tokens, corrupted_tokens, metric):
    _, cache = model.run_with_cache(clean_tokens)
    results = torch.zeros(model.cfg.n_layers, clean_tokens.shape[1])
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.hook_resid_post"
        for pos in range(clean_tokens.shape[1]):
            def hook(resid, hook, pos=pos, name=name):
                resid = resid.clone()
                resid[:, pos] = cache[name][:, pos]
                return resid

            with torch.no_grad():
                results[layer, pos] = float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, hook)])))
    return results


def head_patch_reversed(model, clean_tokens, corrupted_tokens, metric):
    return ref.head_patching(model, corrupted_tokens, clean_tokens, metric)


def head_patch_wrong_axis(model, clean_tokens, corrupted_tokens, metric):
    from course_utils.checks.lesson10_mech_interp import _head_patching_wrong_axis

    return torch.as_tensor(_head_patching_wrong_axis(model, clean_tokens, corrupted_tokens, metric))


def head_patch_whole_layer(model, clean_tokens, corrupted_tokens, metric):
    _, cache = model.run_with_cache(clean_tokens)
    results = torch.zeros(model.cfg.n_layers, model.cfg.n_heads)
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.attn.hook_z"
        with torch.no_grad():
            value = float(metric(model.run_with_hooks(corrupted_tokens,
                                                      fwd_hooks=[(name, lambda z, hook, name=name: cache[name])])))
        results[layer] = value
    return results


def path_patch_whole_sender(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    return float(ref.head_patching(model, clean_tokens, corrupted_tokens, metric)[0, sender_head])


def path_patch_queries(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    from course_utils.checks.lesson10_mech_interp import _path_patch_queries

    return _path_patch_queries(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric)


def path_patch_no_output_matrix(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    _, clean_cache = model.run_with_cache(clean_tokens)
    _, corrupted_cache = model.run_with_cache(corrupted_tokens)
    delta = clean_cache["blocks.0.attn.hook_z"][:, :, sender_head] - corrupted_cache["blocks.0.attn.hook_z"][:, :, sender_head]
    return float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[
        ("blocks.1.attn.hook_k", lambda k, hook: k + (delta @ model.W_K[1, receiver_heads[0]])[:, :, None])])))


def attribution_sign_flipped(model, clean_tokens, corrupted_tokens, metric):
    return -ref.attribution_patching_residual(model, clean_tokens, corrupted_tokens, metric)


def attribution_gradient_on_clean(model, clean_tokens, corrupted_tokens, metric):
    return -ref.attribution_patching_residual(model, corrupted_tokens, clean_tokens, metric)


def attribution_gradient_only(model, clean_tokens, corrupted_tokens, metric):
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    stored = {}

    def keeper(name):
        def keep(act, hook):
            act = act if act.requires_grad else act.detach().requires_grad_(True)
            if act.grad_fn is not None:
                act.retain_grad()
            stored[name] = act
            return act
        return keep

    with torch.enable_grad():
        metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(n, keeper(n)) for n in names])).backward()
    return torch.stack([stored[n].grad.sum(dim=(0, 2)) for n in names])


MUTANTS = {
    "10.previous_token_score": [
        (previous_token_on_diagonal, "current token"),
        (previous_token_all_queries, "seq − 1 queries"),
        (previous_token_keeps_batch, "axis"),
    ],
    "10.induction_score": [
        (induction_offset_by_one, "duplicate-token"),
        (induction_includes_first_half, "second half"),
        (induction_two_ahead, "offset by one"),
    ],
    "10.per_token_loss": [
        (loss_unshifted, "NEXT token"),
        (loss_positive, "NEGATIVE"),
        loss_mean_over_batch,
    ],
    "10.direct_logit_attribution": [
        (dla_sum_first, "do not add the components first"),
        dla_all_vocab,
        dla_transposed,
    ],
    "10.ablate_head_hook": [
        (ablate_wrong_axis, "third axis"),
        (ablate_every_head, "only the chosen head"),
        (ablate_mean_subtracted, "does not subtract"),
    ],
    "10.normalised_metric": [
        (lambda patched, clean, corrupted: (patched - clean) / (corrupted - clean), "other way round"),
        (lambda patched, clean, corrupted: patched - corrupted, "divide"),
        (lambda patched, clean, corrupted: patched / clean, "subtract the corrupted"),
    ],
    "10.residual_patching": [
        (resid_patch_wrong_position, "patch position pos itself"),
        (resid_patch_reversed, "CORRUPTED tokens"),
        resid_patch_unnormalised,
        resid_patch_post,
    ],
    "10.head_patching": [
        (head_patch_reversed, "CORRUPTED tokens"),
        (head_patch_wrong_axis, "z[:, :, head]"),
        head_patch_whole_layer,
    ],
    "10.path_patch_keys": [
        (path_patch_whole_sender, "KEYS"),
        (path_patch_queries, "queries"),
        path_patch_no_output_matrix,
    ],
    "10.attribution_patching_residual": [
        (attribution_sign_flipped, "backwards"),
        (attribution_gradient_on_clean, "CORRUPTED run"),
        attribution_gradient_only,
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
