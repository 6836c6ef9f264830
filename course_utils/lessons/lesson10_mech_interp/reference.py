"""Reference solutions for lesson 10 (mechanistic interpretability); checkers and fallbacks use them.

Shapes follow TransformerLens: a pattern is ``[batch, head, query, key]``,
``hook_z`` is ``[batch, pos, head, d_head]``, a residual stream is
``[batch, pos, d_model]``. The models are attention-only without layer norm,
so the residual stream is an exact sum of its components.
"""
import torch


# --- attention heads -----------------------------------------------------------------------------

def previous_token_score(pattern):
    """Per head: the mean attention from each query q ≥ 1 to key q − 1 (``[head]``)."""
    pattern = torch.as_tensor(pattern, dtype=torch.float32)
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(0, -1))


def duplicate_token_score(pattern, half_len):
    """Per head, on repeated random tokens: mean attention from q ≥ half_len to q − half_len."""
    pattern = torch.as_tensor(pattern, dtype=torch.float32)
    return pattern.diagonal(offset=-half_len, dim1=-2, dim2=-1).mean(dim=(0, -1))


def induction_score(pattern, half_len):
    """Per head, on repeated random tokens: mean attention from q ≥ half_len to q − half_len + 1.

    Key q − half_len + 1 holds the token that followed the earlier copy of the
    current token: prefix matching.
    """
    pattern = torch.as_tensor(pattern, dtype=torch.float32)
    return pattern.diagonal(offset=-(half_len - 1), dim1=-2, dim2=-1)[..., 1:].mean(dim=(0, -1))


def per_token_loss(logits, tokens):
    """Cross-entropy of predicting ``tokens[:, p + 1]`` from ``logits[:, p]``: shape ``[batch, pos − 1]``."""
    logits = torch.as_tensor(logits, dtype=torch.float32)
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    log_probs = logits[:, :-1].log_softmax(dim=-1)
    return -log_probs.gather(-1, tokens[:, 1:, None])[..., 0]


# --- direct logit attribution --------------------------------------------------------------------

def direct_logit_attribution(components, W_U, targets):
    """Each component's direct contribution to the target token's logit.

    ``components``: ``[batch, pos, n_components, d_model]`` (pieces that sum to the
    final residual stream); ``W_U``: ``[d_model, vocab]``; ``targets``: ``[batch, pos]``
    token ids. Returns ``[batch, pos, n_components]``.
    """
    components = torch.as_tensor(components, dtype=torch.float32)
    W_U = torch.as_tensor(W_U, dtype=torch.float32)
    directions = W_U.T[torch.as_tensor(targets, dtype=torch.long)]          # [batch, pos, d_model]
    return torch.einsum("bpcd,bpd->bpc", components, directions)


def residual_components(cache, model):
    """``(components, labels)``: the final residual stream split into its additive pieces.

    Pieces: token embedding, position embedding, each head's output
    ``z_h @ W_O[h]``, and each layer's output bias. Their sum is the input to
    the unembedding (these models have no final layer norm).
    """
    pieces, labels = [cache["hook_embed"], cache["hook_pos_embed"].expand_as(cache["hook_embed"])], ["embed", "pos"]
    for layer in range(model.cfg.n_layers):
        z = cache[f"blocks.{layer}.attn.hook_z"]
        outputs = torch.einsum("bphd,hdm->bphm", z, model.W_O[layer])
        for head in range(model.cfg.n_heads):
            pieces.append(outputs[:, :, head])
            labels.append(f"L{layer}H{head}")
        pieces.append(model.b_O[layer].expand_as(cache["hook_embed"]))
        labels.append(f"L{layer} bias")
    return torch.stack(pieces, dim=2), labels


# --- ablation --------------------------------------------------------------------------------------

def ablate_head_hook(z, head, mean_z=None):
    """A copy of ``z`` (``[batch, pos, head, d_head]``) with one head's output ablated.

    Zero ablation when ``mean_z`` is None, else mean ablation: the head's
    vectors are replaced by ``mean_z[..., head, :]`` (``mean_z`` is
    ``[pos, head, d_head]``, the average over a reference batch).
    """
    z = torch.as_tensor(z, dtype=torch.float32).clone()
    if mean_z is None:
        z[:, :, head] = 0.0
    else:
        z[:, :, head] = torch.as_tensor(mean_z, dtype=torch.float32)[..., head, :]
    return z


# --- activation patching ---------------------------------------------------------------------------

def normalised_metric(patched, clean, corrupted):
    """Rescale a metric so the clean run scores 1 and the corrupted run scores 0."""
    return (patched - corrupted) / (clean - corrupted)


def residual_patching(model, clean_tokens, corrupted_tokens, metric):
    """``[n_layers, pos]``: metric of the corrupted run with ``blocks.L.hook_resid_pre`` at one
    position replaced by its value on the clean run."""
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean_tokens)
    n_layers, n_pos = model.cfg.n_layers, clean_tokens.shape[1]
    results = torch.zeros(n_layers, n_pos)
    for layer in range(n_layers):
        name = f"blocks.{layer}.hook_resid_pre"
        for pos in range(n_pos):
            def patch(resid, hook, pos=pos, name=name):
                resid = resid.clone()
                resid[:, pos] = clean_cache[name][:, pos]
                return resid

            with torch.no_grad():
                logits = model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, patch)])
            results[layer, pos] = float(metric(logits))
    return results


def head_patching(model, clean_tokens, corrupted_tokens, metric):
    """``[n_layers, n_heads]``: metric of the corrupted run with one head's ``hook_z`` (all positions)
    replaced by its value on the clean run."""
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean_tokens)
    results = torch.zeros(model.cfg.n_layers, model.cfg.n_heads)
    for layer in range(model.cfg.n_layers):
        name = f"blocks.{layer}.attn.hook_z"
        for head in range(model.cfg.n_heads):
            def patch(z, hook, head=head, name=name):
                z = z.clone()
                z[:, :, head] = clean_cache[name][:, :, head]
                return z

            with torch.no_grad():
                logits = model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, patch)])
            results[layer, head] = float(metric(logits))
    return results


def path_patch_keys(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric):
    """Path patching from a layer-0 head to the keys of layer-1 heads.

    Runs the corrupted input, but the keys of the layer-1 heads in
    ``receiver_heads`` are computed as if layer-0 head ``sender_head`` had seen
    the clean input; every other path stays corrupted. Returns ``metric(logits)``
    as a float. Exact here because the residual stream is linear (no layer norm).
    """
    return path_patch_into(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric, "k")


def path_patch_into(model, clean_tokens, corrupted_tokens, sender_head, receiver_heads, metric, part):
    """:func:`path_patch_keys` for any input of the receivers: ``part`` is "q", "k" or "v"."""
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean_tokens)
        _, corrupted_cache = model.run_with_cache(corrupted_tokens)
        z_name = "blocks.0.attn.hook_z"
        delta_z = clean_cache[z_name][:, :, sender_head] - corrupted_cache[z_name][:, :, sender_head]
        delta_resid = delta_z @ model.W_O[0, sender_head]                           # [batch, pos, d_model]
        weights = {"q": model.W_Q, "k": model.W_K, "v": model.W_V}[part]

        def patch(activation, hook):
            activation = activation.clone()
            for head in receiver_heads:
                activation[:, :, head] = activation[:, :, head] + delta_resid @ weights[1, head]
            return activation

        logits = model.run_with_hooks(corrupted_tokens, fwd_hooks=[(f"blocks.1.attn.hook_{part}", patch)])
        return float(metric(logits))


def attribution_patching_residual(model, clean_tokens, corrupted_tokens, metric):
    """``[n_layers, pos]``: the first-order estimate of what patching ``blocks.L.hook_resid_pre`` at
    one position would change the metric by: (clean − corrupted activation) · ∂metric/∂activation,
    with the gradient taken on the corrupted run and summed over batch and d_model."""
    names = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    with torch.no_grad():
        _, clean_cache = model.run_with_cache(clean_tokens)
    stored = {}

    def keeper(name):
        def keep(act, hook):
            if not act.requires_grad:          # a model with frozen weights: start the graph here
                act = act.detach().requires_grad_(True)
            stored[name] = act
            return act
        return keep

    with torch.enable_grad():                  # autograd.grad: the model's own .grad stay untouched
        logits = model.run_with_hooks(corrupted_tokens, fwd_hooks=[(name, keeper(name)) for name in names])
        grads = torch.autograd.grad(metric(logits), [stored[name] for name in names])
    return torch.stack([((clean_cache[name] - stored[name].detach()) * grad).sum(dim=(0, 2))
                        for name, grad in zip(names, grads)])


# --- reading circuits from the weights --------------------------------------------------------------

def composition_score(W_A, W_B):
    """||W_A W_B||_F / (||W_A||_F ||W_B||_F) ("A Mathematical Framework for Transformer Circuits", Elhage et
    al., 2021): how much of what W_A writes (``[n, m]``) is read by W_B (``[m, k]``)."""
    W_A = torch.as_tensor(W_A, dtype=torch.float64)
    W_B = torch.as_tensor(W_B, dtype=torch.float64)
    return float((W_A @ W_B).norm() / (W_A.norm() * W_B.norm()))


def ov_qk_circuits(model):
    """``(OV, QK)``, each ``[n_layers, n_heads, d_model, d_model]``: OV = W_V W_O and QK = W_Q W_Kᵀ.

    Row-vector convention (TransformerLens): a head moves ``x @ OV`` from a key position into the residual
    stream, and scores a query ``x_q`` against a key ``x_k`` with ``x_q @ QK @ x_kᵀ`` (before the scaling by
    √d_head, without biases)."""
    with torch.no_grad():
        OV = model.W_V.detach() @ model.W_O.detach()
        QK = model.W_Q.detach() @ model.W_K.detach().transpose(-1, -2)
    return OV, QK


def composition_scores(model, mode, score=composition_score):
    """``[n_heads, n_heads]``: entry [i, j] scores how layer-0 head i composes with layer-1 head j.

    ``mode`` "Q": OV₀ᵢ QK₁ⱼ (head i's output read by head j's queries); "K": OV₀ᵢ QK₁ⱼᵀ (by its keys); "V":
    OV₀ᵢ OV₁ⱼ (by its values), as in TransformerLens's ``all_composition_scores``."""
    OV, QK = ov_qk_circuits(model)
    readers = {"Q": QK[1], "K": QK[1].transpose(-1, -2), "V": OV[1]}[mode]
    n_heads = model.cfg.n_heads
    return torch.tensor([[float(score(OV[0, i], readers[j])) for j in range(n_heads)] for i in range(n_heads)])


def swap_query_and_key(model, layer, head):
    """A copy of ``model`` in which one head's query and key weights (and biases) are exchanged.

    The head's QK circuit becomes its transpose: what its keys read, its queries now read, and vice versa."""
    import copy

    swapped = copy.deepcopy(model)
    state = swapped.state_dict()
    d_head = model.cfg.d_head
    rows = slice(head * d_head, (head + 1) * d_head)
    for part in ("weight", "bias"):
        q_name, k_name = f"blocks.{layer}.attn.q.{part}", f"blocks.{layer}.attn.k.{part}"
        q_rows, k_rows = state[q_name][rows].clone(), state[k_name][rows].clone()
        state[q_name][rows], state[k_name][rows] = k_rows, q_rows
    swapped.load_state_dict(state)
    swapped.eval()
    return swapped


# --- helpers the lesson and the checkers share (not exercises) --------------------------------------

def answer_logit(logits, query_pos, answers):
    """The mean over the batch of the answer token's logit at ``query_pos``."""
    answers = torch.as_tensor(answers, dtype=torch.long)
    return logits[torch.arange(len(answers)), query_pos, answers].mean()


def logit_difference(logits, query_pos, answers, distractors):
    """The mean over the batch of logit(answer) − logit(distractor) at ``query_pos``."""
    answers = torch.as_tensor(answers, dtype=torch.long)
    distractors = torch.as_tensor(distractors, dtype=torch.long)
    rows = torch.arange(len(answers))
    return (logits[rows, query_pos, answers] - logits[rows, query_pos, distractors]).mean()


def patching_metric(model, clean_tokens, corrupted_tokens, query_pos, answers, normalise=normalised_metric,
                    distractors=None):
    """A function of logits, rescaled so clean = 1 and corrupted = 0: the logit difference between each
    answer and its distractor, or the answer logit alone when ``distractors`` is None."""
    def raw(logits):
        if distractors is None:
            return answer_logit(logits, query_pos, answers)
        return logit_difference(logits, query_pos, answers, distractors)

    with torch.no_grad():
        clean_value = float(raw(model(clean_tokens)))
        corrupted_value = float(raw(model(corrupted_tokens)))

    def metric(logits):
        return normalise(raw(logits), clean_value, corrupted_value)

    return metric


def induction_swap_pair(batch, half_len, corrupt_pos, swap_pos, vocab, seed=0):
    """Clean and corrupted inputs whose answers compete: ``(clean, corrupted, query_pos, answers, distractors)``.

    ``clean`` is repeated random tokens (no token twice within a half). In ``corrupted`` the first-half tokens
    at ``corrupt_pos`` and ``swap_pos`` trade places. At ``query_pos = half_len + corrupt_pos`` the current
    token's earlier copy then sits at ``swap_pos``, so induction predicts ``distractors`` (the token after
    ``swap_pos``) instead of ``answers`` (the token after ``corrupt_pos``). The logit difference answer −
    distractor is positive on the clean run and negative on the corrupted one.
    """
    import numpy as np

    if not (0 <= corrupt_pos < half_len - 1 and 0 <= swap_pos < half_len - 1 and abs(corrupt_pos - swap_pos) >= 2):
        raise ValueError(f"corrupt_pos and swap_pos must lie in [0, {half_len - 2}], at least 2 apart")
    rng = np.random.default_rng(seed)
    half = np.stack([rng.permutation(vocab)[:half_len] for _ in range(batch)])
    clean = np.concatenate([half, half], axis=1)
    corrupted = clean.copy()
    corrupted[:, [corrupt_pos, swap_pos]] = clean[:, [swap_pos, corrupt_pos]]
    as_long = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return (as_long(clean), as_long(corrupted), half_len + corrupt_pos, as_long(clean[:, corrupt_pos + 1]),
            as_long(clean[:, swap_pos + 1]))
