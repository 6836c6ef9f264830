"""Checker contract for lesson 10: the reference passes, the stub is not attempted, mistakes fail."""
import copy

import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson10_mech_interp import reference as ref
from course_utils.lessons.lesson10_mech_interp.mistakes import patching_with


def previous_token_keeps_batch(pattern):
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)


def loss_mean_over_batch(logits, tokens):
    return ref.per_token_loss(logits, tokens).mean(0)


def dla_all_vocab(components, W_U, targets):
    return components @ W_U


def resid_patch_unnormalised(model, clean_tokens, corrupted_tokens, metric):
    """Records the top logit at the last position instead of the metric it was given."""
    return ref.residual_patching(model, clean_tokens, corrupted_tokens,
                                 lambda logits: logits[:, -1].max(-1).values.mean())


resid_patch_post = patching_with(hook="hook_resid_post", index=lambda pos: (slice(None), pos))


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


def path_patch_no_output_matrix(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    _, clean_cache = model.run_with_cache(clean_tokens)
    _, corrupted_cache = model.run_with_cache(corrupted_tokens)
    name = "blocks.0.attn.hook_z"
    delta = clean_cache[name][:, :, sender_head] - corrupted_cache[name][:, :, sender_head]
    return float(metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[
        ("blocks.1.attn.hook_k", lambda k, hook: k + (delta @ model.W_K[1, receiver_heads[0]])[:, :, None])])))


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


# --- audit (issue 13): more mistakes learners make ----------------------------------------------------

def normalised_one_minus(patched, clean, corrupted):
    """Right: the same number, written as one minus the remaining gap."""
    return 1 - (clean - patched) / (clean - corrupted)


def normalised_numpy_float32(patched, clean, corrupted):
    patched, clean, corrupted = np.float32(patched), np.float32(clean), np.float32(corrupted)
    return (patched - corrupted) / (clean - corrupted)


def path_patch_hook_left_on(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    """The right number, but the hook is added with add_hook and never removed."""
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean_tokens)
        _, corrupted_cache = model.run_with_cache(corrupted_tokens)
        delta = (clean_cache["blocks.0.attn.hook_z"][:, :, sender_head]
                 - corrupted_cache["blocks.0.attn.hook_z"][:, :, sender_head]) @ model.W_O[0, sender_head]

        def patch(k, hook):
            k = k.clone()
            for head in receiver_heads:
                k[:, :, head] = k[:, :, head] + delta @ model.W_K[1, head]
            return k

        model.add_hook("blocks.1.attn.hook_k", patch)
        return float(metric(model(corrupted_tokens)))


def path_patch_hooks_context(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    """Right: model.hooks(...) as a context manager, the result a 0-d tensor."""
    _, clean_cache = model.run_with_cache(clean_tokens)
    _, corrupted_cache = model.run_with_cache(corrupted_tokens)
    z_clean = clean_cache["blocks.0.attn.hook_z"][:, :, sender_head]
    z_corrupted = corrupted_cache["blocks.0.attn.hook_z"][:, :, sender_head]
    delta = torch.einsum("bpd,dm->bpm", z_clean - z_corrupted, model.W_O[0, sender_head].detach())

    def patch(k, hook):
        extra = torch.zeros_like(k)
        for head in receiver_heads:
            extra[:, :, head] = delta @ model.W_K[1, head].detach()
        return k + extra

    with torch.no_grad(), model.hooks(fwd_hooks=[("blocks.1.attn.hook_k", patch)]):
        return metric(model(corrupted_tokens)).detach()


def ablate_in_place(z, head, mean_z=None):
    z[:, :, head] = 0.0 if mean_z is None else mean_z[:, head]
    return z


def ablate_where_numpy(z, head, mean_z=None):
    """Right: a mask and np.where, returned as a float32 ndarray."""
    z = np.asarray(z, dtype=np.float32)
    replacement = np.zeros_like(z) if mean_z is None else np.broadcast_to(np.asarray(mean_z, np.float32), z.shape)
    mask = (np.arange(z.shape[2]) == head)[None, None, :, None]
    return np.where(mask, replacement, z)


def loss_predicts_same_position(logits, tokens):
    return -logits[:, 1:].log_softmax(-1).gather(-1, tokens[:, 1:, None])[..., 0]


def loss_cross_entropy(logits, tokens):
    """Right: F.cross_entropy with reduction='none' (classes on axis 1)."""
    return torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), tokens[:, 1:], reduction="none")


def previous_token_loops_float32(pattern):
    """Right: plain loops over a float32 ndarray, a list back."""
    pattern = np.asarray(pattern, dtype=np.float32)
    batch, heads, seq, _ = pattern.shape
    return [sum(pattern[b, h, q, q - 1] for b in range(batch) for q in range(1, seq)) / (batch * (seq - 1))
            for h in range(heads)]


def induction_by_slicing(pattern, half_len):
    """Right: the diagonal by explicit indexing, as a tensor."""
    queries = torch.arange(half_len, pattern.shape[-1])
    return pattern[..., queries, queries - half_len + 1].mean(dim=(0, -1))


def dla_gather_columns(components, W_U, targets):
    """Right: gather the target columns and multiply-sum, float64 numpy."""
    components, W_U = np.asarray(components, np.float64), np.asarray(W_U, np.float64)
    directions = W_U[:, np.asarray(targets)]                       # [d_model, batch, pos]
    return (components * np.moveaxis(directions, 0, -1)[:, :, None, :]).sum(-1)


head_patch_last_position_only = patching_with(hook="attn.hook_z", index=lambda head: (slice(None), -1, head),
                                              over_heads=True)


def head_patch_add_hook_lists(model, clean_tokens, corrupted_tokens, metric):
    """Right: add_hook / reset_hooks by hand, the grid as a list of lists."""
    _, cache = model.run_with_cache(clean_tokens)
    grid = []
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.attn.hook_z"
        row = []
        for head in range(model.cfg.n_heads):
            def hook(z, hook, head=head, name=name):
                z[:, :, head] = cache[name][:, :, head]
                return z

            model.add_hook(name, hook)
            try:
                with torch.no_grad():
                    row.append(metric(model(corrupted_tokens)).item())
            finally:
                model.reset_hooks()
        grid.append(row)
    return grid


def resid_patch_library(model, clean_tokens, corrupted_tokens, metric):
    """Right: TransformerLens's own patching helper."""
    from transformer_lens import patching

    _, cache = model.run_with_cache(clean_tokens)
    with torch.no_grad():
        return patching.get_act_patch_resid_pre(model, corrupted_tokens, cache, metric)


# patches only the first batch element
resid_patch_first_batch_only = patching_with(hook="hook_resid_pre", index=lambda pos: (0, pos))


def attribution_backward_hooks(model, clean_tokens, corrupted_tokens, metric):
    """Right: the standard recipe, a forward hook keeping each activation and a backward hook keeping its
    gradient (TransformerLens's add_hook(..., "bwd")), then reset_hooks. Needs weights that require grad."""
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    _, clean_cache = model.run_with_cache(clean_tokens)
    acts, grads = {}, {}

    def forward_keeper(name):
        def keep(act, hook):
            acts[name] = act.detach()
        return keep

    def backward_keeper(name):
        def keep(grad, hook):
            grads[name] = grad.detach()
        return keep

    for name in names:
        model.add_hook(name, forward_keeper(name), "fwd")
        model.add_hook(name, backward_keeper(name), "bwd")
    try:
        metric(model(corrupted_tokens)).backward()
    finally:
        model.reset_hooks()
    return torch.stack([((clean_cache[name] - acts[name]) * grads[name]).sum(dim=(0, 2)) for name in names])


def attribution_hooks_context_numpy(model, clean_tokens, corrupted_tokens, metric):
    """Right: model.hooks(fwd_hooks=..., bwd_hooks=...) as a context manager, a float64 ndarray back."""
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    _, clean_cache = model.run_with_cache(clean_tokens)
    acts, grads = {}, {}
    fwd = [(n, lambda act, hook, n=n: acts.__setitem__(n, act.detach())) for n in names]
    bwd = [(n, lambda grad, hook, n=n: grads.__setitem__(n, grad.detach())) for n in names]
    with model.hooks(fwd_hooks=fwd, bwd_hooks=bwd):
        metric(model(corrupted_tokens)).backward()
    return np.stack([np.einsum("bpd,bpd->p", (clean_cache[n] - acts[n]).double().numpy(), grads[n].double().numpy())
                     for n in names])


def attribution_retain_grad(model, clean_tokens, corrupted_tokens, metric):
    """Right: a forward hook calling retain_grad on each activation, then .grad after backward."""
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    _, clean_cache = model.run_with_cache(clean_tokens)
    kept = {}

    def keeper(name):
        def keep(act, hook):
            act.retain_grad()
            kept[name] = act
        return keep

    metric(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(n, keeper(n)) for n in names])).backward()
    return torch.stack([((clean_cache[n] - kept[n].detach()) * kept[n].grad).sum(dim=(0, 2)) for n in names])


def attribution_hooks_left_on(model, clean_tokens, corrupted_tokens, metric):
    """The standard recipe with the right numbers, but its four hooks are never removed."""
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    _, clean_cache = model.run_with_cache(clean_tokens)
    acts, grads = {}, {}
    for name in names:
        model.add_hook(name, lambda act, hook, name=name: acts.__setitem__(name, act.detach()))
        model.add_hook(name, lambda grad, hook, name=name: grads.__setitem__(name, grad.detach()), "bwd")
    metric(model(corrupted_tokens)).backward()
    return torch.stack([((clean_cache[n] - acts[n]) * grads[n]).sum(dim=(0, 2)) for n in names])


def attribution_under_no_grad(model, clean_tokens, corrupted_tokens, metric):
    """The standard recipe run under torch.no_grad(): backward() raises (the hint names the cause)."""
    with torch.no_grad():
        return attribution_backward_hooks(model, clean_tokens, corrupted_tokens, metric)


def attribution_mean_over_batch(model, clean_tokens, corrupted_tokens, metric):
    grid = ref.attribution_patching_residual(model, clean_tokens, corrupted_tokens, metric)
    return grid / clean_tokens.shape[0]


def composition_spectral_norm(W_A, W_B):
    norm = lambda m: torch.linalg.matrix_norm(torch.as_tensor(m, dtype=torch.float64), ord=2)  # noqa: E731
    return float(norm(W_A @ W_B) / (norm(W_A) * norm(W_B)))


def composition_sum_of_norms(W_A, W_B):
    return float((W_A @ W_B).norm() / (W_A.norm() + W_B.norm()))


def composition_one_norm_only(W_A, W_B):
    return float((W_A @ W_B).norm() / W_A.norm() ** 2)


def composition_numpy_float32(W_A, W_B):
    """Right: numpy's Frobenius norms in float32."""
    W_A, W_B = np.asarray(W_A, np.float32), np.asarray(W_B, np.float32)
    return np.linalg.norm(W_A @ W_B) / (np.linalg.norm(W_A) * np.linalg.norm(W_B))


def composition_by_trace(W_A, W_B):
    """Right: ||M||_F² = trace(Mᵀ M), a 0-d tensor back."""
    W_A, W_B = torch.as_tensor(W_A, dtype=torch.float64), torch.as_tensor(W_B, dtype=torch.float64)
    product = W_A @ W_B
    return torch.sqrt(torch.trace(product.T @ product) / (torch.trace(W_A.T @ W_A) * torch.trace(W_B.T @ W_B)))


MUTANTS = {
    "10.previous_token_score": [
        (previous_token_keeps_batch, "axis"),
    ],
    "10.per_token_loss": [
        loss_mean_over_batch,
        loss_predicts_same_position,
    ],
    "10.direct_logit_attribution": [
        dla_all_vocab,
    ],
    "10.ablate_head_hook": [
        (ablate_in_place, "in place"),
    ],
    "10.residual_patching": [
        resid_patch_unnormalised,
        resid_patch_post,
        resid_patch_first_batch_only,
    ],
    "10.head_patching": [
        head_patch_whole_layer,
        head_patch_last_position_only,
    ],
    "10.path_patch_keys": [
        path_patch_no_output_matrix,
        (path_patch_hook_left_on, "left 1 hook"),
    ],
    "10.attribution_patching_residual": [
        attribution_gradient_only,
        attribution_mean_over_batch,
        (attribution_hooks_left_on, "left 4 hooks"),
        (attribution_under_no_grad, "torch.no_grad()"),
    ],
    "10.composition_score": [
        composition_spectral_norm,
        composition_sum_of_norms,
        composition_one_norm_only,
    ],
}

ALTERNATIVES = {
    "10.previous_token_score": [previous_token_loops_float32],
    "10.induction_score": [induction_by_slicing],
    "10.per_token_loss": [loss_cross_entropy],
    "10.direct_logit_attribution": [dla_gather_columns],
    "10.ablate_head_hook": [ablate_where_numpy],
    "10.normalised_metric": [normalised_one_minus, normalised_numpy_float32],
    "10.residual_patching": [resid_patch_library],
    "10.head_patching": [head_patch_add_hook_lists],
    "10.path_patch_keys": [path_patch_hooks_context],
    # the standard backward-hook recipe: it needs weights that require grad (issue 13: they were frozen)
    "10.attribution_patching_residual": [attribution_backward_hooks, attribution_hooks_context_numpy,
                                         attribution_retain_grad],
    "10.composition_score": [composition_numpy_float32, composition_by_trace],
}
UNVARIED = {}

globals().update(contract_tests("10", MUTANTS, ALTERNATIVES, UNVARIED))


def test_shipped_model_is_not_frozen_and_copies_after_a_gradient_run():
    """Issue 13: the weights require grad (so the backward-hook recipe works), and a copy of a model that has
    run (the grader's copy, given to a learner) can run with gradients without spoiling the original."""
    from course_utils.models.attn_only import load_attn_only

    model = load_attn_only("induction_2l")[0]
    assert all(parameter.requires_grad for parameter in model.parameters())
    tokens = torch.randint(0, model.cfg.d_vocab, (1, 6), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = model(tokens)
    copied = copy.deepcopy(model)
    copied(tokens).sum().backward()
    assert model.W_E.grad is None and copied.W_E.grad is not None
    again = copy.deepcopy(model)                 # failed with "Only Tensors created explicitly by the user"
    with torch.no_grad():
        assert torch.equal(again(tokens), before) and torch.equal(model(tokens), before)


def test_public_patching_cases_are_where_the_model_does_induction():
    """Issue 17: the shipped model's patching cases sit where it does induction (the answer ranked first, p > 0.25)
    and the logit difference flips sign between the clean and the corrupted run."""
    from course_utils.lessons.lesson10_mech_interp import checks

    for args in [(0, 12, 5), (1, 11, 3), (2, 12, 4)]:
        model, clean, corrupted, metric, case = checks._patching_case(*args)
        query, answers, distractors = checks.SHIPPED_HALF + args[1], clean[:, args[1] + 1], clean[:, args[2] + 1]
        with torch.no_grad():
            clean_logits, corrupted_logits = model(clean), model(corrupted)
        rows = torch.arange(len(answers))
        assert (clean_logits[rows, query].softmax(-1)[rows, answers] > 0.25).all()
        assert (clean_logits[rows, query].argmax(-1) == answers).all()
        assert ref.logit_difference(clean_logits, query, answers, distractors) > 1
        assert ref.logit_difference(corrupted_logits, query, answers, distractors) < -1


def test_phase_snapshots_end_at_the_shipped_model():
    """The induction_2l_phases recipe reruns induction_2l: its last snapshot is the shipped model in float16, and
    the checkpoint stays small."""
    from course_utils import checkpoints
    from course_utils.train.induction_phases import SNAPSHOT_STEPS, load_snapshots

    snapshots, info = load_snapshots()
    assert list(snapshots) == sorted(SNAPSHOT_STEPS + (info["steps"],))
    assert info["bytes"] < checkpoints.MAX_BYTES
    shipped, _ = checkpoints.load_checkpoint("induction_2l")
    assert all(torch.equal(snapshots[info["steps"]][name], value.half().float()) for name, value in shipped.items())
