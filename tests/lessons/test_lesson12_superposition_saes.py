"""Checker contract for lesson 12: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson12_superposition_saes import reference as ref


def forward_gram_wrong_way(x, W, b):  # W Wᵀ instead of Wᵀ W: only defined when m == n, else a shape error
    return torch.relu(x @ (W @ W.T) + b)


def dims_no_dead_guard(W):
    norms = W.norm(dim=0)
    return norms ** 2 / ((W / norms).T @ W).pow(2).sum(1)  # 0 / 0 = nan for a dead feature


def dims_over_rows(W):
    return ref.feature_dimensionality(torch.as_tensor(W).T)


def sae_loss_detached(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    return torch.tensor(ref.sae_loss(x, W_enc, b_enc, W_dec, b_dec, l1_coeff).item())


def decoder_norms_not_constrained(W_dec, grad):
    unit = W_dec / W_dec.norm(dim=1, keepdim=True)
    return W_dec, grad - (grad * unit).sum(1, keepdim=True) * unit


def metrics_as_tuple(x, x_hat, f):
    return tuple(ref.sae_metrics(x, x_hat, f).values())


def sae_loss_l1_item(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).sum(-1).mean() + l1_coeff * f.abs().sum(-1).mean().item()


def sae_loss_mse_loss_sum(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):   # f ≥ 0, so Σ f = Σ |f|
    f = torch.relu(torch.einsum("bd,dk->bk", x - b_dec, W_enc) + b_enc)
    x_hat = torch.einsum("bk,kd->bd", f, W_dec) + b_dec
    return torch.nn.functional.mse_loss(x_hat, x, reduction="sum") / len(x) + l1_coeff * f.sum() / len(x)


def sae_loss_norms(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return (torch.linalg.vector_norm(x_hat - x, dim=1) ** 2).mean() + l1_coeff * torch.norm(f, p=1, dim=1).mean()


def metrics_numpy(x, x_hat, f):
    x, x_hat, f = (np.asarray(t) for t in (x, x_hat, f))
    return {"l0": float(np.count_nonzero(f, axis=1).mean()),
            "fve": float(1 - ((x - x_hat) ** 2).sum() / (x.var(axis=0) * len(x)).sum()),
            "dead_fraction": float(np.mean(~(f > 0).any(axis=0)))}


def metrics_items(x, x_hat, f):                       # count_nonzero, amax; an extra key does no harm
    return {"l0": (f != 0).sum(1).double().mean().item(),
            "fve": (1 - ((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()).item(),
            "dead_fraction": (f.amax(0) <= 0).double().mean().item(), "extra": "ignored"}


def metrics_l0_counts_zeros(x, x_hat, f):
    return dict(ref.sae_metrics(x, x_hat, f), l0=float((f >= 0).sum(1).double().mean()))


def recovery_cosine_similarity(true_directions, W_dec):
    return torch.nn.functional.cosine_similarity(true_directions[:, None, :], W_dec[None, :, :], dim=-1).amax(1)


def recovery_numpy_loop(true_directions, W_dec):
    true = np.asarray(true_directions, dtype=np.float32)
    dec = np.asarray(W_dec, dtype=np.float32)
    return torch.tensor([max(float(t @ w / (np.linalg.norm(t) * np.linalg.norm(w))) for w in dec) for t in true],
                        dtype=torch.float32)


def recovery_argmax_then_gather(true_directions, W_dec):   # any of the tied rows is fine: only the value is returned
    cos = torch.nn.functional.normalize(true_directions, dim=1) @ torch.nn.functional.normalize(W_dec, dim=1).T
    best = cos.flip(1).argmax(1)
    return cos.flip(1).gather(1, best[:, None])[:, 0]


def recovery_rounded(true_directions, W_dec):
    return torch.round(ref.feature_recovery(true_directions, W_dec), decimals=3)


def forward_einsum_float32(x, W, b):
    x, W, b = x.float(), W.float(), b.float()
    return torch.relu(torch.einsum("bm,mn->bn", torch.einsum("bn,mn->bm", x, W), W) + b)


def weighted_loss_numpy(x, x_hat, importance):
    return torch.tensor(np.einsum("i,bi->b", np.asarray(importance), (np.asarray(x) - np.asarray(x_hat)) ** 2).mean())


def dims_loop_list(W):
    W = torch.as_tensor(W, dtype=torch.float64)
    out = []
    for i in range(W.shape[1]):
        norm = float(W[:, i].norm())
        out.append(0.0 if norm == 0 else norm ** 2 / float(((W[:, i] / norm) @ W).pow(2).sum()))
    return torch.tensor(out)


def decoder_normalize(W_dec, grad):
    unit = torch.nn.functional.normalize(W_dec, dim=1)
    return unit, grad - torch.einsum("kd,kd->k", grad, unit)[:, None] * unit


def decoder_projection_on_grad(W_dec, grad):          # projects W_dec onto grad instead of grad onto W_dec
    unit = W_dec / W_dec.norm(dim=1, keepdim=True)
    return unit, grad - (grad * unit).sum(1, keepdim=True) * grad


def topk_keeps_smallest(pre, k):
    top = pre.topk(k, dim=-1, largest=False)
    return torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))


def topk_values_only(pre, k):                         # the kept values, shape (batch, k): not scattered back
    return torch.relu(pre.topk(k, dim=-1).values)


def topk_relu_first(pre, k):                          # ReLU then TopK: the same numbers
    post = torch.relu(pre)
    top = post.topk(k, dim=-1)
    return torch.zeros_like(post).scatter(-1, top.indices, top.values)


def topk_kthvalue_threshold(pre, k):
    threshold = pre.kthvalue(pre.shape[-1] - k + 1, dim=-1, keepdim=True).values
    return torch.where(pre >= threshold, pre.clamp_min(0), torch.zeros_like(pre))


def topk_numpy_argsort(pre, k):
    pre = np.asarray(pre, dtype=np.float32)
    out = np.zeros_like(pre)
    for row, values in enumerate(pre):
        keep = np.argsort(-values)[:k]
        out[row, keep] = np.maximum(values[keep], 0)
    return out


MUTANTS = {
    "12.toy_model_forward": [
        forward_gram_wrong_way,
    ],
    "12.feature_dimensionality": [
        (dims_no_dead_guard, "guard the division"),
        (dims_over_rows, "columns"),
    ],
    "12.sae_loss": [
        (sae_loss_detached, "torch operations"),
        (sae_loss_l1_item, "no gradient flows through the L1 penalty"),
    ],
    "12.constrain_decoder": [
        decoder_norms_not_constrained,
        decoder_projection_on_grad,
    ],
    "12.sae_metrics": [
        metrics_as_tuple,
        metrics_l0_counts_zeros,
    ],
    "12.feature_recovery": [
        recovery_rounded,
    ],
    "12.topk_activation": [
        topk_keeps_smallest,
        topk_values_only,
    ],
}

ALTERNATIVES = {
    "12.toy_model_forward": [forward_einsum_float32],
    "12.importance_weighted_loss": [weighted_loss_numpy],
    "12.feature_dimensionality": [dims_loop_list],
    "12.sae_loss": [sae_loss_mse_loss_sum, sae_loss_norms],
    "12.constrain_decoder": [decoder_normalize],
    "12.sae_metrics": [metrics_numpy, metrics_items],
    "12.feature_recovery": [recovery_cosine_similarity, recovery_numpy_loop, recovery_argmax_then_gather],
    "12.topk_activation": [topk_relu_first, topk_kthvalue_threshold, topk_numpy_argsort],
    "12.loss_recovered": [lambda clean, spliced, ablated: float(np.float64(ablated - spliced) / (ablated - clean))],
}
UNVARIED = {}

globals().update(contract_tests("12", MUTANTS, ALTERNATIVES, UNVARIED))
