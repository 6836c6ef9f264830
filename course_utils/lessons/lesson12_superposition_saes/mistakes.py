"""The mistakes learners make in lesson 12, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import torch

from ...checking import Mistakes
from . import reference as ref

TOY_MODEL_FORWARD = Mistakes({
    "apply the ReLU: x' = ReLU(WᵀWx + b); without it the model is linear": lambda x, W, b: x @ W.T @ W + b,
    "did you forget the bias b (inside the ReLU)?": lambda x, W, b: torch.relu(x @ W.T @ W),
    "the bias goes inside the ReLU: ReLU(WᵀWx + b)": lambda x, W, b: torch.relu(x @ W.T @ W) + b,
})

IMPORTANCE_WEIGHTED_LOSS = Mistakes({
    "weight each feature's squared error by its importance I_i":
        lambda x, x_hat, importance: ((x - x_hat) ** 2).sum(1).mean(),
    "sum over features, then average over the batch (not a mean over everything)":
        lambda x, x_hat, importance: (importance * (x - x_hat) ** 2).mean(),
    "the importance multiplies the squared error; it does not go inside the square":
        lambda x, x_hat, importance: ((importance * (x - x_hat)) ** 2).sum(1).mean(),
    "average over the batch rather than summing over it":
        lambda x, x_hat, importance: (importance * (x - x_hat) ** 2).sum(),
})


def _dimensionality(W, numerator_power=2, overlap_power=2, unit_overlaps=True):
    """The reference's D_i, with the numerator's power, the overlaps' power or their unit vectors changed."""
    norms = W.norm(dim=0)
    directions = W / norms.clamp_min(1e-12) if unit_overlaps else W
    dims = norms ** numerator_power / ((directions.T @ W).abs() ** overlap_power).sum(1).clamp_min(1e-24)
    return torch.where(norms > 1e-9, dims, torch.zeros_like(dims))


FEATURE_DIMENSIONALITY = Mistakes({
    "square each overlap: the denominator is Σ_j (Ŵ_i·W_j)²": lambda W: _dimensionality(W, overlap_power=1),
    "use the unit vector Ŵ_i = W_i / ||W_i|| in the overlaps, not W_i itself":
        lambda W: _dimensionality(W, unit_overlaps=False),
    "the numerator is the squared norm ||W_i||²": lambda W: _dimensionality(W, numerator_power=1),
})


def sae_forward_without_centring(x, W_enc, b_enc, W_dec, b_dec):
    f = torch.relu(x @ W_enc + b_enc)
    return f, f @ W_dec + b_dec


def sae_forward_without_relu(x, W_enc, b_enc, W_dec, b_dec):
    f = (x - b_dec) @ W_enc + b_enc
    return f, f @ W_dec + b_dec


def sae_forward_without_encoder_bias(x, W_enc, b_enc, W_dec, b_dec):
    f = torch.relu((x - b_dec) @ W_enc)
    return f, f @ W_dec + b_dec


def sae_forward_without_decoder_bias(x, W_enc, b_enc, W_dec, b_dec):
    f, _ = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return f, f @ W_dec


def sae_forward_decoding_preactivations(x, W_enc, b_enc, W_dec, b_dec):
    pre = (x - b_dec) @ W_enc + b_enc
    return torch.relu(pre), pre @ W_dec + b_dec


# the reconstruction's mistakes first: with f right, decoding the pre-activations is what the missing ReLU gives too
SAE_FORWARD = Mistakes({
    "add the decoder bias back: x_hat = f W_dec + b_dec": sae_forward_without_decoder_bias,
    "decode from the features f, not from the pre-activations": sae_forward_decoding_preactivations,
    "subtract the decoder bias before encoding: f = ReLU((x − b_dec) W_enc + b_enc)": sae_forward_without_centring,
    "apply the ReLU to the encoder's output": sae_forward_without_relu,
    "did you forget the encoder bias b_enc?": sae_forward_without_encoder_bias,
})


def _summed_squares(error):
    return (error ** 2).sum(-1).mean()


def _l1(f, pre):
    return f.abs().sum(-1).mean()


def _loss_with(reconstruction=_summed_squares, penalty=_l1):
    """A learner's sae_loss with its reconstruction term or its penalty (of f and the pre-activations) replaced."""
    def sae_loss(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
        pre = (x - b_dec) @ W_enc + b_enc
        f = torch.relu(pre)
        return reconstruction(f @ W_dec + b_dec - x) + l1_coeff * penalty(f, pre)

    return sae_loss


SAE_LOSS = Mistakes({
    # first the two with the right value: the gradient check names them, and there a missing penalty has the
    # same gradient as a detached one
    "the value is right but no gradient flows through the L1 penalty: did you call .item(), .detach() or float() "
    "on it?": _loss_with(penalty=lambda f, pre: _l1(f, pre).detach()),
    "the value is right but no gradient flows through the reconstruction error: did you call .item(), .detach() "
    "or float() on it?": _loss_with(reconstruction=lambda error: _summed_squares(error).detach()),
    "the L1 penalty goes on the features f after the ReLU, not on the pre-activations":
        _loss_with(penalty=lambda f, pre: pre.abs().sum(-1).mean()),
    "sum the squared error over the input's dimensions, then average over the batch":
        _loss_with(reconstruction=lambda error: (error ** 2).mean()),
    "sum |f_k| over features, then average over the batch": _loss_with(penalty=lambda f, pre: f.abs().mean()),
    "add the sparsity penalty l1_coeff · mean Σ_k |f_k|": _loss_with(penalty=lambda f, pre: 0.0),
    "the penalty is the L1 norm of f (absolute values), not the squared L2 norm":
        _loss_with(penalty=lambda f, pre: (f ** 2).sum(-1).mean()),
})


def _remove_along(grad, directions, dim=1):
    return grad - (grad * directions).sum(dim, keepdim=True) * directions


def decoder_by_columns(W_dec, grad):
    unit = W_dec / W_dec.norm(dim=0, keepdim=True)
    return unit, _remove_along(grad, unit, dim=0)


def decoder_by_whole_matrix(W_dec, grad):
    unit = W_dec / W_dec.norm()
    return unit, _remove_along(grad, unit)


def decoder_gradient_unprojected(W_dec, grad):
    return ref.constrain_decoder(W_dec, grad)[0], grad


def decoder_projected_on_raw_rows(W_dec, grad):
    return ref.constrain_decoder(W_dec, grad)[0], _remove_along(grad, W_dec)


def decoder_keeping_the_parallel_part(W_dec, grad):
    unit, grad_perp = ref.constrain_decoder(W_dec, grad)
    return unit, grad - grad_perp


CONSTRAIN_DECODER = Mistakes({
    "each ROW of W_dec is a feature's direction: normalise along dim=1": decoder_by_columns,
    "normalise every row separately, not the whole matrix at once": decoder_by_whole_matrix,
    "remove the gradient's component along each decoder row": decoder_gradient_unprojected,
    "project onto the UNIT row Ŵ_k: grad − (grad·Ŵ_k) Ŵ_k (your W_dec rows are not unit length)":
        decoder_projected_on_raw_rows,
    "remove only the parallel part, keep the rest: grad − (grad·Ŵ_k) Ŵ_k": decoder_keeping_the_parallel_part,
})


def _metrics_with(x, x_hat, f, **wrong):
    """The reference's metrics, with the entries in ``wrong`` replaced by a mistake's values."""
    return dict(ref.sae_metrics(x, x_hat, f), **{key: float(value) for key, value in wrong.items()})


def _fve_around(x, x_hat, centre):
    return 1 - ((x - x_hat) ** 2).sum() / ((x - centre) ** 2).sum()


SAE_METRICS = Mistakes({
    "L0 counts the active features (f > 0) per example, it does not sum their values":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, l0=f.sum(1).mean()),
    "average the count over the examples in the batch":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, l0=(f > 0).sum()),
    "the variance is measured around the mean input: subtract x.mean(0) in the denominator":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, fve=_fve_around(x, x_hat, 0.0)),
    "FVE = 1 − residual / total, not residual / total":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, fve=1 - _fve_around(x, x_hat, x.mean(0))),
    "the mean input is the mean over the batch (dim 0), one value per dimension":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, fve=_fve_around(x, x_hat, x.mean(1, keepdim=True))),
    "subtract the mean input x.mean(0), one value per dimension, not the mean of all entries":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, fve=_fve_around(x, x_hat, x.mean())),
    "a feature is dead when it fires on NO example of the batch":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, dead_fraction=(f == 0).any(0).double().mean()),
    "report the FRACTION of features that are dead, not their number":
        lambda x, x_hat, f: _metrics_with(x, x_hat, f, dead_fraction=((f > 0).sum(0) == 0).sum()),
})


def _unit_rows(directions):
    return directions / directions.norm(dim=1, keepdim=True)


def _cosines(true_directions, W_dec):
    return _unit_rows(true_directions) @ _unit_rows(W_dec).T


def recovery_one_to_one(true_directions, W_dec):
    """Greedy matching, highest cosine first: each decoder row may serve only one true feature."""
    cosines = _cosines(true_directions, W_dec)
    best, used = torch.full((cosines.shape[0],), float("nan"), dtype=cosines.dtype), set()
    for value, i, j in sorted(((float(cosines[i, j]), i, j) for i in range(cosines.shape[0])
                               for j in range(cosines.shape[1])), key=lambda item: -item[0]):
        if torch.isnan(best[i]) and j not in used:
            best[i] = value
            used.add(j)
    return best


FEATURE_RECOVERY = Mistakes({
    "an anti-aligned direction (cosine −1) is not a recovered feature: drop the abs()":
        lambda true_directions, W_dec: _cosines(true_directions, W_dec).abs().max(1).values,
    "normalise both sets of directions: cosine similarity, not a dot product":
        lambda true_directions, W_dec: (true_directions @ W_dec.T).max(1).values,
    "normalise both sets of directions (the decoder rows too)":
        lambda true_directions, W_dec: (_unit_rows(true_directions) @ W_dec.T).max(1).values,
    "one value per TRUE feature: take the max over the learned features (dim=1)":
        lambda true_directions, W_dec: _cosines(true_directions, W_dec).max(0).values,
    "each true feature takes its best decoder row, even when another true feature's best row is the same one: "
    "no one-to-one matching": recovery_one_to_one,
})

LOSS_RECOVERED = Mistakes({
    "measure against the ablated model, not relative to the clean loss alone":
        lambda clean_loss, sae_loss, ablated_loss: 1 - (sae_loss - clean_loss) / clean_loss,
    "that is the fraction of loss LOST; loss recovered is 1 minus it":
        lambda clean_loss, sae_loss, ablated_loss: (sae_loss - clean_loss) / (ablated_loss - clean_loss),
    "the denominator is the gap between the ablated and the CLEAN loss":
        lambda clean_loss, sae_loss, ablated_loss: (ablated_loss - sae_loss) / ablated_loss,
    "a ratio of losses is not the score: (ablated − sae) / (ablated − clean)":
        lambda clean_loss, sae_loss, ablated_loss: clean_loss / sae_loss,
})


def _scatter_kept(pre, indices, values):
    return torch.zeros_like(pre).scatter(-1, indices, values)


def topk_without_relu(pre, k):
    top = pre.topk(k, dim=-1)
    return _scatter_kept(pre, top.indices, top.values)


def topk_over_the_batch(pre, k):
    top = pre.topk(k, dim=0)
    return torch.zeros_like(pre).scatter(0, top.indices, torch.relu(top.values))


def topk_by_magnitude(pre, k):
    indices = pre.abs().topk(k, dim=-1).indices
    return _scatter_kept(pre, indices, torch.relu(pre.gather(-1, indices)))


def topk_mask(pre, k):
    return (ref.topk_activation(pre, k) > 0).to(pre.dtype)


def topk_one_too_many(pre, k):
    threshold = pre.sort(dim=-1, descending=True).values[:, min(k, pre.shape[-1] - 1)]
    return torch.relu(pre) * (pre >= threshold[:, None])


TOPK_ACTIVATION = Mistakes({
    "apply the ReLU to the kept values: a kept pre-activation that is negative becomes 0": topk_without_relu,
    "keep the k largest entries of each ROW (one input's features, the last dimension), not over the batch":
        topk_over_the_batch,
    "keep the k LARGEST pre-activations, not the k largest in absolute value": topk_by_magnitude,
    "return the kept activations themselves, not a 0/1 mask of which ones were kept": topk_mask,
    "keep exactly k entries per row: the k-th largest is sorted(...)[:, k - 1], and you kept one more":
        topk_one_too_many,
    "only the k largest entries of each row survive: zero all the others before (or after) the ReLU":
        lambda pre, k: torch.relu(pre),
})
