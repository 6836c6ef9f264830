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
                     steps=3000, batch_size=1024, lr=1e-2, data_seed=0, progress=True):
    """Train one toy model per (sparsity, seed) pair in a single batched loop.

    Returns a dict with W (S, R, m, n), b (S, R, n) and the final importance-weighted
    loss (S, R) for S sparsities and R seeds; ``loss`` is measured on fresh data.
    """
    from tqdm.auto import tqdm

    sparsities, seeds = list(sparsities), list(seeds)
    n_runs = len(sparsities) * len(seeds)
    per_run_sparsity = torch.tensor([s for s in sparsities for _ in seeds], dtype=torch.float32)
    # Each seed gives its own initial W; build them separately, then stack into one model.
    model = ToyModel(n_runs, n_features, n_hidden, linear=linear)
    with torch.no_grad():
        for index in range(n_runs):
            seed = seeds[index % len(seeds)]
            model.W[index] = ToyModel(1, n_features, n_hidden, seed=seed).W[0]
    importance = feature_importance(n_features, importance_decay)
    generator = torch.Generator().manual_seed(data_seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in tqdm(range(steps), desc="toy models", disable=not progress, mininterval=1.0):
        x = sample_features(n_runs, batch_size, n_features, per_run_sparsity, generator)
        loss = (importance * (x - model(x)) ** 2).sum(-1).mean(-1).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        x = sample_features(n_runs, 8192, n_features, per_run_sparsity, generator)
        final = (importance * (x - model(x)) ** 2).sum(-1).mean(-1)
    shape = (len(sparsities), len(seeds))
    return {"W": model.W.detach().reshape(*shape, n_hidden, n_features),
            "b": model.b.detach().reshape(*shape, n_features),
            "loss": final.reshape(shape),
            "sparsities": torch.tensor(sparsities), "seeds": torch.tensor(seeds)}
