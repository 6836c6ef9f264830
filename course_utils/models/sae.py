"""A sparse autoencoder in the style of "Towards Monosemanticity" (Bricken et al., 2023).

    f     = ReLU((x - b_dec) W_enc + b_enc)       features, shape (batch, n_features)
    x_hat = f W_dec + b_dec                        reconstruction, shape (batch, d)
    loss  = ||x - x_hat||^2 + l1_coeff * ||f||_1   (each summed over its last axis, averaged over the batch)

The decoder's rows (one direction per feature) are kept at unit norm: after
every optimiser step they are renormalised, and before it the part of their
gradient that would only change their length is removed. Features that never
fire are "dead"; :func:`resample_dead_features` gives them a new start, by the
paper's procedure.

With ``k`` set, the encoder is the TopK activation of "Scaling and evaluating
sparse autoencoders" (Gao et al., 2024) instead of the ReLU: each input keeps
its k largest pre-activations (then ReLU) and the rest are 0; such an SAE is
trained with ``l1_coeff=0``.
"""
import torch
from torch import nn


def topk_activation(pre, k):
    """TopK activation ("Scaling and evaluating sparse autoencoders", Gao et al., 2024): in each row keep the ``k``
    largest pre-activations, set the rest to 0, then apply a ReLU."""
    top = pre.topk(k, dim=-1)
    return torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))


class SparseAutoencoder(nn.Module):
    """An SAE with a ReLU encoder (trained with an L1 penalty) or, with ``k`` set, a TopK encoder."""

    def __init__(self, d_input, n_features, seed=0, k=None):
        super().__init__()
        self.k = k
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
        pre = (x - self.b_dec) @ self.W_enc + self.b_enc
        return torch.relu(pre) if self.k is None else topk_activation(pre, self.k)

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
    def from_state(cls, state, k=None):
        n_features, d_input = state["W_dec"].shape
        sae = cls(d_input, n_features, k=k)
        sae.load_state_dict(state)
        return sae


@torch.no_grad()
def resample_dead_features(sae, optimizer, x, dead, l1_coeff=0.0, encoder_scale=0.2, generator=None):
    """Give each dead feature a new start, by the procedure of "Towards Monosemanticity" (Bricken et al., 2023).

    The paper's appendix on neuron resampling, step by step, on the batch ``x`` (the paper uses 819,200 inputs):

    1. compute the autoencoder's loss on each input, ``||x - x_hat||² + l1_coeff * ||f||_1`` (the quantity it is
       trained on), and give each input a probability proportional to the *square* of that loss;
    2. for each dead feature, sample an input with these probabilities; the raw input, scaled to unit length,
       becomes the feature's decoder row;
    3. its encoder column is the same unit vector times ``encoder_scale`` (0.2 in the paper) times the average
       norm of the encoder columns of the living features; its encoder bias is set to 0;
    4. Adam's moment estimates for every modified weight and bias entry are reset to 0.

    Returns the number of features resampled.
    """
    dead_index = torch.nonzero(dead).flatten()
    if len(dead_index) == 0:
        return 0
    f, x_hat = sae(x)
    loss = ((x - x_hat) ** 2).sum(-1) + l1_coeff * f.abs().sum(-1)
    weights = loss.double() ** 2
    if float(weights.sum()) <= 0:
        return 0
    if generator is None:
        generator = torch.Generator().manual_seed(int(dead_index.sum()))
    picks = torch.multinomial(weights / weights.sum(), len(dead_index), replacement=True, generator=generator)
    directions = x[picks] / x[picks].norm(dim=1, keepdim=True).clamp_min(1e-8)
    alive = ~dead
    mean_alive_norm = sae.W_enc[:, alive].norm(dim=0).mean() if alive.any() else torch.tensor(1.0)
    sae.W_dec[dead_index] = directions
    sae.W_enc[:, dead_index] = directions.T * encoder_scale * mean_alive_norm
    sae.b_enc[dead_index] = 0.0
    for parameter, index in ((sae.W_dec, (dead_index,)), (sae.W_enc, (slice(None), dead_index)),
                             (sae.b_enc, (dead_index,))):
        state = optimizer.state.get(parameter, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key][index] = 0.0
    return len(dead_index)


def train_sae(sae, sample_batch, l1_coeff, steps=2000, lr=3e-3, resample_at=(), resample_window=200,
              resample_batches=8, progress=True, desc="SAE"):
    """Train ``sae`` with Adam on batches from ``sample_batch(step)``; return a history dict.

    ``resample_at`` lists the steps at which features that did not fire during the
    previous ``resample_window`` steps are resampled (:func:`resample_dead_features`),
    on ``resample_batches`` fresh batches drawn for the purpose.
    """
    from tqdm.auto import tqdm

    optimizer = torch.optim.Adam(sae.parameters(), lr=lr)
    fired = torch.zeros(sae.n_features, dtype=torch.bool)
    history = {"loss": [], "mse": [], "l1": [], "resampled": []}
    resample_at = set(resample_at)
    for step in tqdm(range(steps), desc=desc, disable=not progress, mininterval=1.0):
        if step in resample_at:
            x = torch.cat([sample_batch(step) for _ in range(resample_batches)])
            history["resampled"].append((step, resample_dead_features(sae, optimizer, x, ~fired, l1_coeff)))
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
