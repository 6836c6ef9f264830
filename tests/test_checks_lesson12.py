"""Checker contract for lesson 12: the reference passes, the stub is not attempted, mistakes fail."""
import torch

from checker_contract import contract_tests
from course_utils.reference import lesson12_superposition_saes as ref


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
    ],
    "12.constrain_decoder": [
        (decoder_norms_not_constrained, None),
        (decoder_columns, "ROW"),
        (decoder_grad_not_projected, "remove the gradient's component"),
        (decoder_projection_unnormalised, "UNIT row"),
    ],
    "12.sae_metrics": [
        (metrics_uncentred_fve, "mean input"),
        (metrics_l0_sums_values, "counts the active features"),
        (metrics_dead_count, "FRACTION"),
        metrics_as_tuple,
    ],
    "12.feature_recovery": [
        (recovery_abs, "anti-aligned"),
        (recovery_dot_products, "cosine similarity"),
        (recovery_wrong_axis, "TRUE feature"),
    ],
    "12.loss_recovered": [
        (lambda clean, spliced, ablated: 1 - (spliced - clean) / clean, "ablated model"),
        (lambda clean, spliced, ablated: (spliced - clean) / (ablated - clean), "1 minus"),
        (lambda clean, spliced, ablated: clean / spliced, "ratio of losses"),
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
