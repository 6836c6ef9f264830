"""A sparse autoencoder in the style of "Towards Monosemanticity" (Bricken et al., 2023).

    f     = ReLU((x - b_dec) W_enc + b_enc)       features, shape (batch, n_features)
    x_hat = f W_dec + b_dec                        reconstruction, shape (batch, d)
    loss  = ||x - x_hat||^2 + l1_coeff * ||f||_1   (each summed over its last axis, averaged over the batch)

The decoder's rows (one direction per feature) are kept at unit norm: after
every optimiser step they are renormalised, and before it the part of their
gradient that would only change their length is removed. Features that never
fire are "dead"; :func:`resample_dead_features` gives them a new start.
"""
import torch
from torch import nn


class SparseAutoencoder(nn.Module):
    def __init__(self, d_input, n_features, seed=0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        W_dec = torch.randn(n_features, d_input, generator=generator)
        W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
        self.W_dec = nn.Parameter(W_dec)
        self.W_enc = nn.Parameter(W_dec.T.clone())   # start with the encoder as the decoder's transpose
        self.b_enc = nn.Parameter(torch.zeros(n_features))
        self.b_dec = nn.Parameter(torch.zeros(d_input))

    @property
    def n_features(self):
        return self.W_dec.shape[0]

    def encode(self, x):
        return torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)

    def decode(self, f):
        return f @ self.W_dec + self.b_dec

    def forward(self, x):
        f = self.encode(x)
        return f, self.decode(f)

    def loss(self, x, l1_coeff):
        f, x_hat = self(x)
        mse = ((x_hat - x) ** 2).sum(-1).mean()
        l1 = f.abs().sum(-1).mean()
        return mse + l1_coeff * l1, mse, l1

    @torch.no_grad()
    def normalize_decoder(self):
        self.W_dec.data /= self.W_dec.data.norm(dim=1, keepdim=True).clamp_min(1e-8)

    @torch.no_grad()
    def remove_parallel_gradient(self):
        """Drop the part of each decoder row's gradient that points along the row itself."""
        if self.W_dec.grad is None:
            return
        unit = self.W_dec.data / self.W_dec.data.norm(dim=1, keepdim=True).clamp_min(1e-8)
        self.W_dec.grad -= (self.W_dec.grad * unit).sum(1, keepdim=True) * unit

    def state(self):
        return {k: v.detach().clone() for k, v in self.state_dict().items()}

    @classmethod
    def from_state(cls, state):
        n_features, d_input = state["W_dec"].shape
        sae = cls(d_input, n_features)
        sae.load_state_dict(state)
        return sae


@torch.no_grad()
def resample_dead_features(sae, optimizer, x, dead, encoder_scale=1.0):
    """Give each dead feature a new direction: an input the SAE reconstructs badly.

    Inputs are drawn with probability proportional to their squared reconstruction
    error; the dead feature's decoder row becomes that input (centred by b_dec,
    unit norm) and its encoder column the same direction, scaled to ``encoder_scale``
    times the average norm of the living encoder columns. The paper uses 0.2 with a
    learning rate near 1e-4; with this course's short runs at 1e-2 a revived feature
    with so small an encoder is switched off again by the L1 penalty within a few
    steps, so the default here is 1.0. Adam's moment estimates for the
    touched parameters are reset. Returns the number of features resampled.
    """
    dead_index = torch.nonzero(dead).flatten()
    if len(dead_index) == 0:
        return 0
    _, x_hat = sae(x)
    error = ((x - x_hat) ** 2).sum(-1)
    if float(error.sum()) <= 0:
        return 0
    generator = torch.Generator().manual_seed(int(dead_index.sum()))
    picks = torch.multinomial(error / error.sum(), len(dead_index), replacement=True, generator=generator)
    directions = x[picks] - sae.b_dec
    directions = directions / directions.norm(dim=1, keepdim=True).clamp_min(1e-8)
    alive = ~dead
    scale = sae.W_enc[:, alive].norm(dim=0).mean() if alive.any() else torch.tensor(1.0)
    sae.W_dec[dead_index] = directions
    sae.W_enc[:, dead_index] = directions.T * encoder_scale * scale
    sae.b_enc[dead_index] = 0.0
    for parameter, index in ((sae.W_dec, (dead_index,)), (sae.W_enc, (slice(None), dead_index)),
                             (sae.b_enc, (dead_index,))):
        state = optimizer.state.get(parameter, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key][index] = 0.0
    return len(dead_index)


def train_sae(sae, sample_batch, l1_coeff, steps=2000, lr=3e-3, resample_at=(), resample_window=200,
              progress=True, desc="SAE"):
    """Train ``sae`` with Adam on batches from ``sample_batch(step)``; return a history dict.

    ``resample_at`` lists the steps at which features that did not fire during the
    previous ``resample_window`` steps are resampled.
    """
    from tqdm.auto import tqdm

    optimizer = torch.optim.Adam(sae.parameters(), lr=lr)
    fired = torch.zeros(sae.n_features, dtype=torch.bool)
    history = {"loss": [], "mse": [], "l1": [], "resampled": []}
    resample_at = set(resample_at)
    for step in tqdm(range(steps), desc=desc, disable=not progress, mininterval=1.0):
        if step in resample_at:
            x = sample_batch(step)
            history["resampled"].append((step, resample_dead_features(sae, optimizer, x, ~fired)))
        if (step + resample_window) in resample_at:
            fired.zero_()
        x = sample_batch(step)
        f, x_hat = sae(x)
        mse = ((x_hat - x) ** 2).sum(-1).mean()
        l1 = f.abs().sum(-1).mean()
        loss = mse + l1_coeff * l1
        optimizer.zero_grad()
        loss.backward()
        sae.remove_parallel_gradient()
        optimizer.step()
        sae.normalize_decoder()
        fired |= (f.detach() > 0).any(0)
        history["loss"].append(loss.item())
        history["mse"].append(mse.item())
        history["l1"].append(l1.item())
    return history


def synthetic_features(n_features, d, seed=0):
    """``n_features`` random unit directions in R^d (more features than dimensions: superposition)."""
    generator = torch.Generator().manual_seed(seed)
    directions = torch.randn(n_features, d, generator=generator)
    return directions / directions.norm(dim=1, keepdim=True)


def synthetic_activations(directions, batch_size, p_active, generator=None):
    """Activations x = Σ_i c_i d_i where each coefficient c_i is 0 with probability 1 - p_active, else U(0, 1).

    Returns (x, c) with x of shape (batch_size, d) and c of shape (batch_size, n_features).
    """
    n_features = directions.shape[0]
    c = torch.rand(batch_size, n_features, generator=generator)
    c = c * (torch.rand(batch_size, n_features, generator=generator) < p_active)
    return c @ directions, c
