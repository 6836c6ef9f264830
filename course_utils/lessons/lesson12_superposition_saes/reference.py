"""Reference solutions for lesson 12 (superposition and sparse autoencoders)."""
import torch


def toy_model_forward(x, W, b):
    """x' = ReLU(x Wᵀ W + b) for a batch x of shape (batch, n), W of shape (m, n), b of shape (n,)."""
    x, W, b = torch.as_tensor(x), torch.as_tensor(W), torch.as_tensor(b)
    hidden = x @ W.T
    return torch.relu(hidden @ W + b)


def importance_weighted_loss(x, x_hat, importance):
    """Mean over the batch of Σ_i I_i (x_i − x̂_i)²."""
    x, x_hat, importance = torch.as_tensor(x), torch.as_tensor(x_hat), torch.as_tensor(importance)
    return (importance * (x - x_hat) ** 2).sum(-1).mean()


def feature_dimensionality(W):
    """D_i = ||W_i||² / Σ_j (Ŵ_i · W_j)² for every column W_i of W (shape (m, n)); 0 for a zero column."""
    W = torch.as_tensor(W, dtype=torch.float64)
    norms = W.norm(dim=0)
    unit = W / norms.clamp_min(1e-12)
    overlaps = (unit.T @ W) ** 2              # [i, j] = (Ŵ_i · W_j)²
    dims = norms ** 2 / overlaps.sum(1).clamp_min(1e-24)
    return torch.where(norms > 1e-9, dims, torch.zeros_like(dims))


def sae_forward(x, W_enc, b_enc, W_dec, b_dec):
    """Return (f, x_hat): f = ReLU((x − b_dec) W_enc + b_enc), x_hat = f W_dec + b_dec."""
    f = torch.relu((x - b_dec) @ W_enc + b_enc)
    return f, f @ W_dec + b_dec


def sae_loss(x, W_enc, b_enc, W_dec, b_dec, l1_coeff):
    """MSE (summed over the input's dimensions, averaged over the batch) + l1_coeff · mean Σ_k |f_k|."""
    f, x_hat = sae_forward(x, W_enc, b_enc, W_dec, b_dec)
    return ((x_hat - x) ** 2).sum(-1).mean() + l1_coeff * f.abs().sum(-1).mean()


def constrain_decoder(W_dec, grad):
    """Return (W_dec with unit-norm rows, grad with each row's component along its unit decoder row removed)."""
    W_dec, grad = torch.as_tensor(W_dec), torch.as_tensor(grad)
    unit = W_dec / W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
    parallel = (grad * unit).sum(1, keepdim=True) * unit
    return unit, grad - parallel


def sae_metrics(x, x_hat, f):
    """A dict with the SAE's L0, fraction of variance explained and dead-feature fraction on this batch."""
    x, x_hat, f = torch.as_tensor(x), torch.as_tensor(x_hat), torch.as_tensor(f)
    l0 = (f > 0).float().sum(1).mean()
    residual = ((x - x_hat) ** 2).sum()
    total = ((x - x.mean(0)) ** 2).sum()
    dead = ((f > 0).sum(0) == 0).float().mean()
    return {"l0": float(l0), "fve": float(1 - residual / total), "dead_fraction": float(dead)}


def feature_recovery(true_directions, W_dec):
    """For each true direction (rows, shape (n_true, d)), its best cosine similarity with a decoder row."""
    true_directions, W_dec = torch.as_tensor(true_directions), torch.as_tensor(W_dec)
    a = true_directions / true_directions.norm(dim=1, keepdim=True)
    b = W_dec / W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return (a @ b.T).max(dim=1).values


def loss_recovered(clean_loss, sae_loss, ablated_loss):
    """(ablated − with SAE) / (ablated − clean): 1 when splicing in the SAE costs nothing, 0 when it is as bad as ablation."""
    return (float(ablated_loss) - float(sae_loss)) / (float(ablated_loss) - float(clean_loss))


def topk_activation(pre, k):
    """In each row of ``pre`` (batch, n_features) keep the k largest entries, set the rest to 0, then apply a ReLU."""
    pre = torch.as_tensor(pre)
    top = pre.topk(int(k), dim=-1)
    return torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))
