"""The toy model of superposition ("Toy Models of Superposition", Elhage et al., 2022).

``n`` sparse features are squeezed through ``m < n`` hidden dimensions and read
back out:  h = W x,  x' = ReLU(Wᵀ h + b),  with W of shape (m, n). Many small
models ("instances") train at once in one batched tensor, so a sweep over
feature sparsity and random seeds costs one training loop.
"""
import numpy as np
import torch
from torch import nn


def feature_importance(n_features, decay=0.9):
    """Importance I_i = decay**i: feature 0 matters most."""
    return decay ** torch.arange(n_features, dtype=torch.float32)


def sample_features(n_instances, batch_size, n_features, sparsity, generator=None):
    """Synthetic sparse features, shape (n_instances, batch_size, n_features).

    Each feature is 0 with probability ``sparsity`` (one value per instance, a
    tensor of shape (n_instances,)) and otherwise uniform on [0, 1].
    """
    sparsity = torch.as_tensor(sparsity, dtype=torch.float32).reshape(-1, 1, 1)
    shape = (n_instances, batch_size, n_features)
    values = torch.rand(shape, generator=generator)
    active = torch.rand(shape, generator=generator) >= sparsity
    return values * active


EVAL_SAMPLES = 2 ** 21
EVAL_SEED = 1234


@torch.no_grad()
def evaluate_instances(W, b, sparsity, importance, linear=False, n_samples=EVAL_SAMPLES, seed=EVAL_SEED):
    """The importance-weighted loss of every instance on one large fixed sample, shape (instances,).

    W: (instances, m, n); b: (instances, n); sparsity: (instances,); importance: (n,) or (instances, n).
    All instances see the same ``n_samples`` draws (uniform values and the uniform numbers that decide which
    features are active, thresholded at each instance's sparsity), so two instances' losses differ only because
    their weights do: differences far below the sampling noise of either loss can be compared.
    """
    W, b = W.float(), b.float()
    n_instances, n_features = W.shape[0], W.shape[2]
    sparsity = torch.as_tensor(sparsity, dtype=torch.float32).reshape(-1, 1, 1)
    importance = torch.as_tensor(importance, dtype=torch.float32).reshape(-1, 1, n_features)
    generator = torch.Generator().manual_seed(seed)
    chunk = max(1024, 2 ** 22 // (n_instances * n_features))
    total = torch.zeros(n_instances, dtype=torch.float64)
    done = 0
    while done < n_samples:
        size = min(chunk, n_samples - done)
        values = torch.rand(size, n_features, generator=generator)
        active = torch.rand(size, n_features, generator=generator)
        x = values * (active >= sparsity)                      # (instances, size, n)
        out = torch.baddbmm(b[:, None, :], torch.bmm(x, W.transpose(1, 2)), W)
        out = out if linear else torch.relu(out)
        total += (importance * (x - out) ** 2).sum(-1).sum(-1).double()
        done += size
    return (total / n_samples).float()


def train_toy_grid(sparsity, importance, n_hidden, seeds=(0,), linear=False, steps=3000, batch_size=1024, lr=1e-2,
                   data_seed=0, progress=True, eval_samples=EVAL_SAMPLES):
    """Train toy models for G settings, each with its own sparsity (G,) and importance (G, n), from every seed.

    Returns W (G, R, m, n), b (G, R, n) and the loss (G, R) on one fixed sample (:func:`evaluate_instances`).
    """
    from tqdm.auto import tqdm

    sparsity = torch.as_tensor(sparsity, dtype=torch.float32)
    importance = torch.as_tensor(importance, dtype=torch.float32)
    n_settings, n_features = importance.shape
    seeds = list(seeds)
    run_sparsity = sparsity.repeat_interleave(len(seeds))
    run_importance = importance.repeat_interleave(len(seeds), dim=0)[:, None, :]
    model = ToyModel(n_settings * len(seeds), n_features, n_hidden, linear=linear)
    with torch.no_grad():
        for index in range(n_settings * len(seeds)):
            model.W[index] = ToyModel(1, n_features, n_hidden, seed=seeds[index % len(seeds)]).W[0]
    generator = torch.Generator().manual_seed(data_seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in tqdm(range(steps), desc="toy models", disable=not progress, mininterval=1.0):
        x = sample_features(len(run_sparsity), batch_size, n_features, run_sparsity, generator)
        loss = (run_importance * (x - model(x)) ** 2).sum(-1).mean(-1).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = evaluate_instances(model.W.detach(), model.b.detach(), run_sparsity, run_importance[:, 0], linear=linear,
                               n_samples=eval_samples)
    shape = (n_settings, len(seeds))
    return {"W": model.W.detach().reshape(*shape, n_hidden, n_features),
            "b": model.b.detach().reshape(*shape, n_features), "loss": final.reshape(shape)}


class ToyModel(nn.Module):
    """``n_instances`` independent toy models; W has shape (instances, m, n), b (instances, n)."""

    def __init__(self, n_instances, n_features, n_hidden, linear=False, seed=0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        scale = np.sqrt(2.0 / (n_features + n_hidden))  # Xavier-normal, as in the paper's code
        self.W = nn.Parameter(torch.randn(n_instances, n_hidden, n_features, generator=generator) * scale)
        self.b = nn.Parameter(torch.zeros(n_instances, n_features))
        self.linear = linear

    def forward(self, x):
        """x: (instances, batch, n) -> x': (instances, batch, n)."""
        hidden = torch.bmm(x, self.W.transpose(1, 2))          # (instances, batch, m)
        out = torch.baddbmm(self.b[:, None, :], hidden, self.W)  # (instances, batch, n)
        return out if self.linear else torch.relu(out)


def train_toy_models(sparsities, seeds=(0,), n_features=5, n_hidden=2, importance_decay=0.9, linear=False,
                     steps=3000, batch_size=1024, lr=1e-2, data_seed=0, progress=True, eval_samples=EVAL_SAMPLES):
    """Train one toy model per (sparsity, seed) pair in a single batched loop (:func:`train_toy_grid` with the
    same importance, ``importance_decay ** i`` for feature i, at every sparsity).

    Returns a dict with W (S, R, m, n), b (S, R, n) and the final importance-weighted
    loss (S, R) for S sparsities and R seeds; ``loss`` is measured by :func:`evaluate_instances`
    on one large fixed sample, the same for every instance.
    """
    sparsities, seeds = list(sparsities), list(seeds)
    importance = feature_importance(n_features, importance_decay).reshape(1, -1).repeat(len(sparsities), 1)
    result = train_toy_grid(torch.tensor(sparsities, dtype=torch.float32), importance, n_hidden, seeds=seeds,
                            linear=linear, steps=steps, batch_size=batch_size, lr=lr, data_seed=data_seed,
                            progress=progress, eval_samples=eval_samples)
    return {**result, "sparsities": torch.tensor(sparsities), "seeds": torch.tensor(seeds)}
