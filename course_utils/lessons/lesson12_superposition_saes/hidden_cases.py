"""Hidden cases for lesson 12 (superposition and sparse autoencoders).

Inputs are float64 torch tensors, as in the public checker (the learner's code
may call tensor methods). Comparisons use the public checker's tolerances.
"""
from ...checking import CheckFailure, as_float, expect_close
from ...grading.hidden_cases import CASES_PER_EXERCISE, close_within, hidden


def _pairclose_within(rtol, atol):
    def compare(got, want):
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailure("the function should return a pair")
        for g, w in zip(got, want):
            expect_close(g, w, rtol=rtol, atol=atol)

    return compare


def _generator(rng):
    import torch

    return torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))


def _randn(generator, *shape):
    import torch

    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def _rand(generator, *shape):
    import torch

    return torch.rand(*shape, generator=generator, dtype=torch.float64)


# --- the toy model of superposition --------------------------------------------------------------------

@hidden("12.toy_model_forward", compare=close_within(1e-5, 1e-7))
def _toy_model_forward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, m = int(rng.integers(1, 7)), int(rng.integers(1, 5))
        n = m + int(rng.integers(1, 5))
        g = _generator(rng)
        x = _rand(g, batch, n) * (_rand(g, batch, n) > float(rng.uniform(0, 0.7)))      # sparse features
        cases.append(((x, _randn(g, m, n), _randn(g, n) * float(rng.uniform(0.1, 1.0))), {}))
    return cases


@hidden("12.importance_weighted_loss", compare=close_within(1e-5, 1e-8))
def _importance_weighted_loss(rng):
    import torch

    cases = []
    for index in range(CASES_PER_EXERCISE):
        batch, n = int(rng.integers(1, 8)), int(rng.integers(2, 8))
        g = _generator(rng)
        if index % 2:
            importance = float(rng.uniform(0.5, 0.99)) ** torch.arange(n, dtype=torch.float64)
        else:
            importance = _rand(g, n) * 2
        cases.append(((_rand(g, batch, n), _rand(g, batch, n), importance), {}))
    return cases


@hidden("12.feature_dimensionality", compare=close_within(1e-4, 1e-6))
def _feature_dimensionality(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        m, n = int(rng.integers(1, 5)), int(rng.integers(2, 9))
        g = _generator(rng)
        W = _randn(g, m, n) * (0.3 + 1.7 * _rand(g, n))          # columns of different lengths
        for i in range(1, n):
            if rng.random() < 0.2:
                W[:, i] = -W[:, int(rng.integers(0, i))] * float(rng.uniform(0.5, 2))   # an antipodal partner
        dead = rng.random(n) < 0.25
        dead[int(rng.integers(0, n))] = False                   # at least one feature alive
        W[:, dead] = 0.0
        cases.append(((W,), {}))
    return cases


# --- sparse autoencoders ---------------------------------------------------------------------------

def _sae_params(rng, g, d, k, unit_decoder=False):
    W_enc, b_enc = _randn(g, d, k), _randn(g, k) * float(rng.uniform(0.1, 0.5))
    W_dec, b_dec = _randn(g, k, d), _randn(g, d)
    if unit_decoder:
        W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
    return W_enc, b_enc, W_dec, b_dec


@hidden("12.sae_forward", compare=_pairclose_within(1e-5, 1e-8))
def _sae_forward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, d, k = int(rng.integers(1, 7)), int(rng.integers(2, 7)), int(rng.integers(2, 10))
        g = _generator(rng)
        cases.append(((_randn(g, batch, d), *_sae_params(rng, g, d, k)), {}))
    return cases


def _observe_loss_and_gradients(function, args, kwargs):
    """The loss and its gradients with respect to W_enc, b_enc, W_dec, b_dec: a loss that is trained on must be
    right in both (``.item()`` or ``.detach()`` on one of its terms keeps the value and breaks the gradient)."""
    from ...checking import gradients
    from .checks import sae_loss_call

    x, *params, l1_coeff = args
    value, leaves = sae_loss_call(function, x, params, l1_coeff)
    grads = gradients(value, leaves)
    # detached: the gradients are compared on their own, and close_within cannot read a tensor that requires grad
    return {"loss": value.detach(), "gradients": grads}


@hidden("12.sae_loss", compare=close_within(1e-5, 1e-8), observe=_observe_loss_and_gradients)
def _sae_loss(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, d, k = int(rng.integers(1, 8)), int(rng.integers(2, 7)), int(rng.integers(2, 10))
        g = _generator(rng)
        params = [p.requires_grad_(True) for p in _sae_params(rng, g, d, k, unit_decoder=True)]
        l1_coeff = float(rng.choice([0.0, 0.01, 0.3, 1.0, 2.5]))
        cases.append(((_randn(g, batch, d), *params, l1_coeff), {}))
    return cases


@hidden("12.constrain_decoder", compare=_pairclose_within(1e-5, 1e-8))
def _constrain_decoder(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        k, d = int(rng.integers(1, 8)), int(rng.integers(2, 7))
        g = _generator(rng)
        scale = torch.as_tensor(rng.uniform(0.2, 3.0, size=(k, 1)), dtype=torch.float64)
        cases.append(((_randn(g, k, d) * scale, _randn(g, k, d)), {}))
    return cases


def _metrics_compare(got, want):
    if not isinstance(got, dict) or not {"l0", "fve", "dead_fraction"} <= set(got):
        raise CheckFailure("sae_metrics should return a dict with 'l0', 'fve' and 'dead_fraction'")
    expect_close(as_float(got["l0"]), want["l0"], rtol=1e-6, atol=1e-9)
    expect_close(as_float(got["fve"]), want["fve"], rtol=1e-6, atol=1e-9)
    expect_close(as_float(got["dead_fraction"]), want["dead_fraction"], rtol=1e-5, atol=1e-8)


@hidden("12.sae_metrics", compare=_metrics_compare)
def _sae_metrics(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, d, k = int(rng.integers(2, 10)), int(rng.integers(2, 6)), int(rng.integers(2, 10))
        g = _generator(rng)
        x = _randn(g, batch, d) + torch.as_tensor(rng.normal(0, 3, size=d), dtype=torch.float64)
        x_hat = x + float(rng.choice([0.05, 0.3, 1.5])) * _randn(g, batch, d)
        f = torch.relu(_randn(g, batch, k) * 2.0 - float(rng.uniform(0, 1.5)))
        dead = rng.choice(k, size=int(rng.integers(0, k)), replace=False)
        f[:, torch.as_tensor(dead, dtype=torch.long)] = 0.0
        cases.append(((x, x_hat, f), {}))
    return cases


@hidden("12.feature_recovery", compare=close_within(1e-5, 1e-8))
def _feature_recovery(rng):
    import torch

    cases = []
    for index in range(CASES_PER_EXERCISE):
        n_true, d, extra = int(rng.integers(1, 6)), int(rng.integers(2, 6)), int(rng.integers(0, 5))
        g = _generator(rng)
        true = _randn(g, n_true, d) * torch.as_tensor(rng.uniform(0.3, 3.0, size=(n_true, 1)), dtype=torch.float64)
        tied = index % 2 == 0
        if tied:    # ties: a true feature twice (scaled), decoder rows that are exact (scaled) copies of true ones
            n_true += 1
            true = torch.cat([true, true[int(rng.integers(0, n_true - 1))][None] * float(rng.choice([0.5, 2.0]))])
        # learned rows: noisy (some anti-aligned) copies of some true directions, plus unrelated rows
        copies = true[torch.as_tensor(rng.integers(0, n_true, size=int(rng.integers(1, n_true + 1))))]
        signs = torch.as_tensor(rng.choice([-2.0, 0.5, 1.0, 3.0], size=(len(copies), 1)), dtype=torch.float64)
        noise = 0.0 if tied else float(rng.uniform(0.05, 1.0))
        learned = torch.cat([copies * signs + noise * _randn(g, len(copies), d), _randn(g, extra, d)])
        learned = learned[torch.as_tensor(rng.permutation(len(learned)))]
        cases.append(((true, learned), {}))
    return cases


@hidden("12.loss_recovered", compare=close_within(1e-6, 1e-8))
def _loss_recovered(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        clean = round(float(rng.uniform(0.5, 4.0)), 3)
        ablated = round(clean + float(rng.uniform(0.2, 5.0)), 3)
        sae = round(float(rng.uniform(clean - 0.2, ablated + 1.0)), 3)
        cases.append(((clean, sae, ablated), {}))
    return cases


@hidden("12.topk_activation", compare=close_within(1e-6, 1e-12))
def _topk_activation(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        batch, n = int(rng.integers(1, 7)), int(rng.integers(2, 10))
        k = int(rng.integers(1, n + 1))
        g = _generator(rng)
        pre = _randn(g, batch, n) * float(rng.uniform(0.5, 3.0)) - float(rng.uniform(0.0, 1.5))
        cases.append(((pre, k), {}))
    return cases
