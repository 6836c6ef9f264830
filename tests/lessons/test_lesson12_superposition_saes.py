"""Checker contract for lesson 12: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson12_superposition_saes import reference as ref


def forward_linear(x, W, b):
    return x @ W.T @ W + b


def forward_bias_outside(x, W, b):
    return torch.relu(x @ W.T @ W) + b


def forward_gram_wrong_way(x, W, b):  # W Wᵀ instead of Wᵀ W: only defined when m == n, else a shape error
    return torch.relu(x @ (W @ W.T) + b)


def loss_unweighted(x, x_hat, importance):
    return ((x - x_hat) ** 2).sum(-1).mean()


def loss_mean_everywhere(x, x_hat, importance):
    return (importance * (x - x_hat) ** 2).mean()


def loss_importance_inside_square(x, x_hat, importance):
    return ((importance * (x - x_hat)) ** 2).sum(-1).mean()


def _dims(W, numerator_power=2, overlap_power=2, normalise=True):
    W = torch.as_tensor(W, dtype=torch.float64)
    norms = W.norm(dim=0)
    unit = W / norms.clamp_min(1e-12) if normalise else W
    overlaps = (unit.T @ W).abs() ** overlap_power
    return norms ** numerator_power / overlaps.sum(1)


def dims_missing_square(W):
    return torch.nan_to_num(_dims(W, overlap_power=1))


def dims_unnormalised(W):
    return torch.nan_to_num(_dims(W, normalise=False))


def dims_no_dead_guard(W):
    return _dims(W)  # 0 / 0 = nan for a dead feature


def dims_over_rows(W):
    return ref.feature_dimensionality(torch.as_tensor(W).T)


def sae_no_pre_bias(x, W_enc, b_enc, W_dec, b_dec):
    f = torch.relu(x @ W_enc + b_enc)
    return f, f @ W_dec + b_dec


def sae_no_relu(x, W_enc, b_enc, W_dec, b_dec):
    f = (x - b_dec) @ W_enc + b_enc
    return f, f @ W_dec + b_dec


def sae_no_decoder_bias(x, W_enc, b_enc, W_dec, b_dec):
    f = torch.relu((x - b_dec) @ W_enc + b_enc)
    return f, f @ W_dec


def sae_loss_l1_on_preactivations(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    pre = (x - b_dec) @ W_enc + b_enc
    f = torch.relu(pre)
    return ((f @ W_dec + b_dec - x) ** 2).sum(-1).mean() + l1_coeff * pre.abs().sum(-1).mean()


def sae_loss_mean_mse(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).mean() + l1_coeff * f.abs().sum(-1).mean()


def sae_loss_detached(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    return torch.tensor(ref.sae_loss(x, W_enc, b_enc, W_dec, b_dec, l1_coeff).item())


def sae_loss_no_penalty(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).sum(-1).mean()


def decoder_norms_not_constrained(W_dec, grad):
    unit = W_dec / W_dec.norm(dim=1, keepdim=True)
    return W_dec, grad - (grad * unit).sum(1, keepdim=True) * unit


def decoder_columns(W_dec, grad):
    unit = W_dec / W_dec.norm(dim=0, keepdim=True)
    return unit, grad - (grad * unit).sum(0, keepdim=True) * unit


def decoder_grad_not_projected(W_dec, grad):
    return W_dec / W_dec.norm(dim=1, keepdim=True), grad


def decoder_projection_unnormalised(W_dec, grad):
    return W_dec / W_dec.norm(dim=1, keepdim=True), grad - (grad * W_dec).sum(1, keepdim=True) * W_dec


def metrics_uncentred_fve(x, x_hat, f):
    out = ref.sae_metrics(x, x_hat, f)
    out["fve"] = float(1 - ((x - x_hat) ** 2).sum() / (x ** 2).sum())
    return out


def metrics_l0_sums_values(x, x_hat, f):
    return dict(ref.sae_metrics(x, x_hat, f), l0=float(f.sum(1).mean()))


def metrics_dead_count(x, x_hat, f):
    return dict(ref.sae_metrics(x, x_hat, f), dead_fraction=float(((f > 0).sum(0) == 0).sum()))


def metrics_as_tuple(x, x_hat, f):
    return tuple(ref.sae_metrics(x, x_hat, f).values())


def recovery_abs(true_directions, W_dec):
    a = true_directions / true_directions.norm(dim=1, keepdim=True)
    b = W_dec / W_dec.norm(dim=1, keepdim=True)
    return (a @ b.T).abs().max(1).values


def recovery_dot_products(true_directions, W_dec):
    return (true_directions @ W_dec.T).max(1).values


def recovery_wrong_axis(true_directions, W_dec):
    a = true_directions / true_directions.norm(dim=1, keepdim=True)
    b = W_dec / W_dec.norm(dim=1, keepdim=True)
    return (a @ b.T).max(0).values


def sae_loss_l1_detached(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):   # right value, no gradient through the penalty
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).sum(-1).mean() + l1_coeff * f.detach().abs().sum(-1).mean()


def sae_loss_l1_item(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).sum(-1).mean() + l1_coeff * f.abs().sum(-1).mean().item()


def sae_loss_mse_detached(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).sum(-1).mean().detach() + l1_coeff * f.abs().sum(-1).mean()


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


def metrics_global_mean(x, x_hat, f):                 # centres on the mean of ALL entries, not per dimension
    return dict(ref.sae_metrics(x, x_hat, f), fve=float(1 - ((x - x_hat) ** 2).sum() / ((x - x.mean()) ** 2).sum()))


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


def recovery_one_to_one(true_directions, W_dec):      # greedy matching: a decoder row serves one true feature only
    cos = torch.nn.functional.normalize(true_directions, dim=1) @ torch.nn.functional.normalize(W_dec, dim=1).T
    best, used = [float("-inf")] * len(cos), set()
    for value, i, j in sorted(((float(cos[i, j]), i, j) for i in range(cos.shape[0]) for j in range(cos.shape[1])),
                              reverse=True):
        if best[i] == float("-inf") and j not in used:
            best[i] = value
            used.add(j)
    return torch.tensor(best)


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


MUTANTS = {
    "12.toy_model_forward": [
        (forward_linear, "apply the ReLU"),
        (forward_bias_outside, "inside the ReLU"),
        forward_gram_wrong_way,
        (lambda x, W, b: torch.relu(x @ W.T @ W), "forget the bias"),
    ],
    "12.importance_weighted_loss": [
        (loss_unweighted, "importance I_i"),
        (loss_mean_everywhere, "sum over features"),
        (loss_importance_inside_square, "inside the square"),
    ],
    "12.feature_dimensionality": [
        (dims_missing_square, "square each overlap"),
        (dims_unnormalised, "unit vector"),
        (dims_no_dead_guard, "guard the division"),
        (dims_over_rows, "columns"),
    ],
    "12.sae_forward": [
        (sae_no_pre_bias, "subtract the decoder bias"),
        (sae_no_relu, "ReLU"),
        (sae_no_decoder_bias, "add the decoder bias back"),
    ],
    "12.sae_loss": [
        (sae_loss_l1_on_preactivations, "after the ReLU"),
        (sae_loss_mean_mse, "sum the squared error"),
        (sae_loss_detached, "torch operations"),
        (sae_loss_no_penalty, "sparsity penalty"),
        (sae_loss_l1_detached, "no gradient flows through the L1 penalty"),
        (sae_loss_l1_item, "no gradient flows through the L1 penalty"),
        (sae_loss_mse_detached, "no gradient flows through the reconstruction error"),
    ],
    "12.constrain_decoder": [
        (decoder_norms_not_constrained, None),
        (decoder_columns, "ROW"),
        (decoder_grad_not_projected, "remove the gradient's component"),
        (decoder_projection_unnormalised, "UNIT row"),
        decoder_projection_on_grad,
    ],
    "12.sae_metrics": [
        (metrics_uncentred_fve, "mean input"),
        (metrics_l0_sums_values, "counts the active features"),
        (metrics_dead_count, "FRACTION"),
        metrics_as_tuple,
        (metrics_global_mean, "not the mean of all entries"),
        metrics_l0_counts_zeros,
    ],
    "12.feature_recovery": [
        (recovery_abs, "anti-aligned"),
        (recovery_dot_products, "cosine similarity"),
        (recovery_wrong_axis, "TRUE feature"),
        (recovery_one_to_one, "no one-to-one matching"),
        recovery_rounded,
    ],
    "12.loss_recovered": [
        (lambda clean, spliced, ablated: 1 - (spliced - clean) / clean, "ablated model"),
        (lambda clean, spliced, ablated: (spliced - clean) / (ablated - clean), "1 minus"),
        (lambda clean, spliced, ablated: clean / spliced, "ratio of losses"),
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
    "12.loss_recovered": [lambda clean, spliced, ablated: float(np.float64(ablated - spliced) / (ablated - clean))],
}
UNVARIED = {}

globals().update(contract_tests("12", MUTANTS, ALTERNATIVES, UNVARIED))
