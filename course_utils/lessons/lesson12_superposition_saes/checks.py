"""Checkers for lesson 12: superposition and sparse autoencoders."""
import math

import numpy as np
import torch

from ...checking import CheckFailure, as_array, as_float, call_with_inputs, expect_close, expect_true, gradients
from ...exercises import exercise
from .. import LessonInfo
from . import reference as ref

LESSON = LessonInfo("12", "superposition_saes", "Superposition and sparse autoencoders", 120,
                    "toy models of superposition across sparsity (orthogonal, antipodal, pentagon), sparse "
                    "autoencoders with resampling, recovering planted features, interpretable features in TinyGPT")


def _generator(seed):
    return torch.Generator().manual_seed(seed)


def _pair(answer, names, case):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise CheckFailure(f"the function should return a pair {names}.", case=case, got=answer, show_values=False)
    return answer


def _pentagon(radius=1.0):
    angles = torch.arange(5, dtype=torch.float64) * 2 * math.pi / 5
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)])


@exercise("12.toy_model_forward", points=1, reference=ref.toy_model_forward,
          title="the toy model x' = ReLU(WᵀWx + b)")
def check_toy_model_forward(toy_model_forward):
    for seed, (batch, m, n) in enumerate([(4, 2, 5), (3, 3, 6), (2, 1, 3)]):
        g = _generator(seed)
        x = torch.rand(batch, n, generator=g, dtype=torch.float64)
        W = torch.randn(m, n, generator=g, dtype=torch.float64)
        b = torch.randn(n, generator=g, dtype=torch.float64) * 0.5
        case = {"x shape": (batch, n), "W shape": (m, n), "b shape": (n,)}
        gram_out = x @ W.T @ W
        expect_close(toy_model_forward(x, W, b), ref.toy_model_forward(x, W, b), case=case, rtol=1e-5, atol=1e-7,
                     what="x'",
                     mistakes={"apply the ReLU: x' = ReLU(WᵀWx + b); without it the model is linear":
                               gram_out + b,
                               "did you forget the bias b (inside the ReLU)?": torch.relu(gram_out),
                               "the bias goes inside the ReLU: ReLU(WᵀWx + b)": torch.relu(gram_out) + b},
                     hint="compress with h = x Wᵀ (shape (batch, m)), read out with h W, add b, then ReLU")


@exercise("12.importance_weighted_loss", points=1, reference=ref.importance_weighted_loss,
          title="the importance-weighted reconstruction loss")
def check_importance_weighted_loss(importance_weighted_loss):
    for seed, (batch, n) in enumerate([(6, 5), (3, 4), (1, 3)]):
        g = _generator(10 + seed)
        x = torch.rand(batch, n, generator=g, dtype=torch.float64)
        x_hat = torch.rand(batch, n, generator=g, dtype=torch.float64)
        importance = 0.8 ** torch.arange(n, dtype=torch.float64)
        case = {"x shape": (batch, n), "importance": importance}
        error = (x - x_hat) ** 2
        expect_close(importance_weighted_loss(x, x_hat, importance), ref.importance_weighted_loss(x, x_hat, importance),
                     case=case, rtol=1e-5, what="the loss",
                     mistakes={"weight each feature's squared error by its importance I_i": error.sum(1).mean(),
                               "sum over features, then average over the batch (not a mean over everything)":
                               (importance * error).mean(),
                               "the importance multiplies the squared error; it does not go inside the square":
                               ((importance * (x - x_hat)) ** 2).sum(1).mean(),
                               "average over the batch rather than summing over it": (importance * error).sum()},
                     hint="L = mean over the batch of Σ_i I_i (x_i − x̂_i)²")


@exercise("12.feature_dimensionality", points=2, reference=ref.feature_dimensionality,
          title="how many dimensions each feature gets")
def check_feature_dimensionality(feature_dimensionality):
    g = _generator(3)
    antipodal = torch.tensor([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 2.0, -2.0]], dtype=torch.float64)
    cases = [
        ("two orthogonal features, three dead", torch.tensor([[1.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]],
                                                             dtype=torch.float64), [1, 1, 0, 0, 0]),
        ("two antipodal pairs", antipodal, [0.5, 0.5, 0.5, 0.5]),
        ("a regular pentagon", _pentagon(1.2), [0.4] * 5),
        ("a random W of shape (3, 6)", torch.randn(3, 6, generator=g, dtype=torch.float64), None),
        ("a random W of shape (2, 4), columns of different lengths",
         torch.randn(2, 4, generator=g, dtype=torch.float64) * torch.tensor([0.3, 1.0, 2.0, 0.7], dtype=torch.float64),
         None),
    ]
    for label, W, known in cases:
        expected = ref.feature_dimensionality(W)
        if known is not None:
            assert np.allclose(expected.numpy(), known, atol=1e-9)
        got = feature_dimensionality(W.clone())
        norms = W.norm(dim=0)
        unit = W / norms.clamp_min(1e-12)
        alive = norms > 1e-9
        no_square = torch.where(alive, norms ** 2 / (unit.T @ W).abs().sum(1).clamp_min(1e-24), 0 * norms)
        no_norm = torch.where(alive, norms ** 2 / ((W.T @ W) ** 2).sum(1).clamp_min(1e-24), 0 * norms)
        norm_not_squared = torch.where(alive, norms / ((unit.T @ W) ** 2).sum(1).clamp_min(1e-24), 0 * norms)
        got_array = as_array(got, case={"W": label}, what="D")
        if got_array.shape == (W.shape[0],):
            raise CheckFailure(f"D should have one entry per feature (a column of W), shape {(W.shape[1],)}, but it "
                               f"has shape {got_array.shape}.", case={"W": label, "W shape": tuple(W.shape)},
                               show_values=False, hint="features are the columns W_i = W[:, i]")
        expect_true(np.all(np.isfinite(got_array)) or known is None or min(known) > 0,
                    "D contains nan or inf for a dead feature (a zero column); give it dimensionality 0.",
                    case={"W": label}, hint="guard the division when ||W_i|| = 0")
        expect_close(got_array, expected, case={"W": label}, rtol=1e-4, atol=1e-6, what="D",
                     mistakes={"square each overlap: the denominator is Σ_j (Ŵ_i·W_j)²": no_square,
                               "use the unit vector Ŵ_i = W_i / ||W_i|| in the overlaps, not W_i itself": no_norm,
                               "the numerator is the squared norm ||W_i||²": norm_not_squared},
                     hint="D_i = ||W_i||² / Σ_j (Ŵ_i·W_j)², with the sum running over all features j (including i)")


@exercise("12.sae_forward", points=2, reference=ref.sae_forward, title="a sparse autoencoder's forward pass")
def check_sae_forward(sae_forward):
    for seed, (batch, d, k) in enumerate([(5, 4, 8), (3, 6, 3), (1, 2, 5)]):
        g = _generator(20 + seed)
        x = torch.randn(batch, d, generator=g, dtype=torch.float64)
        W_enc = torch.randn(d, k, generator=g, dtype=torch.float64)
        b_enc = torch.randn(k, generator=g, dtype=torch.float64) * 0.3
        W_dec = torch.randn(k, d, generator=g, dtype=torch.float64)
        b_dec = torch.randn(d, generator=g, dtype=torch.float64)
        case = {"x shape": (batch, d), "W_enc shape": (d, k), "W_dec shape": (k, d)}
        answer = _pair(sae_forward(x, W_enc, b_enc, W_dec, b_dec), "(f, x_hat)", case)
        f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
        expect_close(answer[0], f, case=case, rtol=1e-5, atol=1e-8, what="the features f",
                     mistakes={"subtract the decoder bias before encoding: f = ReLU((x − b_dec) W_enc + b_enc)":
                               torch.relu(x @ W_enc + b_enc),
                               "apply the ReLU to the encoder's output": (x - b_dec) @ W_enc + b_enc,
                               "did you forget the encoder bias b_enc?": torch.relu((x - b_dec) @ W_enc)},
                     hint="f = ReLU((x − b_dec) W_enc + b_enc), one row per example, one column per feature")
        expect_close(answer[1], x_hat, case=case, rtol=1e-5, atol=1e-8, what="the reconstruction x_hat",
                     mistakes={"add the decoder bias back: x_hat = f W_dec + b_dec": f @ W_dec,
                               "decode from the features f, not from the pre-activations":
                               ((x - b_dec) @ W_enc + b_enc) @ W_dec + b_dec})


def _sae_case(seed, batch=6, d=4, k=8):
    g = _generator(30 + seed)
    params = [torch.randn(d, k, generator=g, dtype=torch.float64), torch.randn(k, generator=g, dtype=torch.float64) * 0.3,
              torch.randn(k, d, generator=g, dtype=torch.float64), torch.randn(d, generator=g, dtype=torch.float64)]
    params[2] = params[2] / params[2].norm(dim=1, keepdim=True)
    return torch.randn(batch, d, generator=g, dtype=torch.float64), params


def sae_loss_call(sae_loss, x, params, l1_coeff):
    """``(loss, leaves)``: one call of ``sae_loss(x, *params, l1_coeff)`` on parameters that require grad.

    ``sae_loss`` is the learner's wrapped function (or, for hidden cases, the reference). ``leaves`` are the
    parameters it received (the wrapper's copies), so ``gradients(loss, leaves)`` is what training would see.
    """
    leaves = [torch.as_tensor(p).detach().clone().requires_grad_(True) for p in params]
    value, args, _ = call_with_inputs(sae_loss, torch.as_tensor(x).detach().clone(), *leaves, l1_coeff)
    return value, args[1:5]


def _reference_gradients(x, params, l1_coeff, *, detach_l1=False, detach_mse=False):
    leaves = [p.detach().clone().requires_grad_(True) for p in params]
    f, x_hat = ref.sae_forward(x, *leaves)
    mse = ((x_hat - x) ** 2).sum(-1).mean()
    l1 = f.abs().sum(-1).mean()
    loss = (mse.detach() if detach_mse else mse) + l1_coeff * (l1.detach() if detach_l1 else l1)
    return torch.autograd.grad(loss, leaves, allow_unused=True, materialize_grads=True)


@exercise("12.sae_loss", points=2, reference=ref.sae_loss, title="the SAE loss: reconstruction + λ·L1")
def check_sae_loss(sae_loss):
    for seed, l1_coeff in enumerate([0.1, 1.0, 0.0]):
        x, (W_enc, b_enc, W_dec, b_dec) = _sae_case(seed)
        case = {"x shape": tuple(x.shape), "W_enc shape": tuple(W_enc.shape), "l1_coeff": l1_coeff}
        got, leaves = sae_loss_call(sae_loss, x, (W_enc, b_enc, W_dec, b_dec), l1_coeff)
        expected = ref.sae_loss(x, W_enc, b_enc, W_dec, b_dec, l1_coeff)
        f, x_hat = ref.sae_forward(x, W_enc, b_enc, W_dec, b_dec)
        pre = (x - b_dec) @ W_enc + b_enc
        mse = ((x_hat - x) ** 2).sum(-1).mean()
        l1 = f.abs().sum(-1).mean()
        expect_close(got, expected, case=case, rtol=1e-5, what="the loss",
                     mistakes={"the L1 penalty goes on the features f after the ReLU, not on the pre-activations":
                               mse + l1_coeff * pre.abs().sum(-1).mean(),
                               "sum the squared error over the input's dimensions, then average over the batch":
                               ((x_hat - x) ** 2).mean() + l1_coeff * l1,
                               "sum |f_k| over features, then average over the batch":
                               mse + l1_coeff * f.abs().mean(),
                               "add the sparsity penalty l1_coeff · mean Σ_k |f_k|": mse,
                               "the penalty is the L1 norm of f (absolute values), not the squared L2 norm":
                               mse + l1_coeff * (f ** 2).sum(-1).mean()},
                     hint="loss = mean_batch Σ_d (x̂ − x)² + l1_coeff · mean_batch Σ_k |f_k|")
        expect_true(isinstance(got, torch.Tensor) and got.requires_grad,
                    "the loss should be a torch tensor that gradients flow through (we train with loss.backward()).",
                    case=case, hint="compute it with torch operations on the parameters; avoid .item(), float() "
                                    "or numpy inside the loss")
        grads = gradients(got, leaves, case=case, what="the loss")
        want = _reference_gradients(x, (W_enc, b_enc, W_dec, b_dec), l1_coeff)
        no_l1 = _reference_gradients(x, (W_enc, b_enc, W_dec, b_dec), l1_coeff, detach_l1=True)
        no_mse = _reference_gradients(x, (W_enc, b_enc, W_dec, b_dec), l1_coeff, detach_mse=True)
        for name, g, w, a, b in zip(("W_enc", "b_enc", "W_dec", "b_dec"), grads, want, no_l1, no_mse):
            expect_close(g, w, case=case, rtol=1e-5, atol=1e-8, what=f"the gradient of the loss with respect to {name}",
                         mistakes={"the value is right but no gradient flows through the L1 penalty: did you call "
                                   ".item(), .detach() or float() on it?": a,
                                   "the value is right but no gradient flows through the reconstruction error: did "
                                   "you call .item(), .detach() or float() on it?": b},
                         hint="the value is right but its gradient is not: keep every term a torch computation on "
                              "the parameters (no .item(), .detach(), float() or numpy anywhere in the loss)")


@exercise("12.constrain_decoder", points=2, reference=ref.constrain_decoder,
          title="unit-norm decoder rows and the gradient that respects them")
def check_constrain_decoder(constrain_decoder):
    for seed, (k, d) in enumerate([(6, 4), (3, 5), (2, 2)]):
        g = _generator(40 + seed)
        W_dec = torch.randn(k, d, generator=g, dtype=torch.float64) * torch.linspace(0.5, 2.0, k,
                                                                                       dtype=torch.float64)[:, None]
        grad = torch.randn(k, d, generator=g, dtype=torch.float64)
        case = {"W_dec shape": (k, d), "grad shape": (k, d)}
        answer = _pair(constrain_decoder(W_dec, grad), "(W_unit, grad_perp)", case)
        unit, grad_perp = ref.constrain_decoder(W_dec, grad)
        expect_close(answer[0], unit, case=case, rtol=1e-5, atol=1e-8, what="the normalised decoder",
                     mistakes={"each ROW of W_dec is a feature's direction: normalise along dim=1":
                               W_dec / W_dec.norm(dim=0, keepdim=True),
                               "normalise every row separately, not the whole matrix at once": W_dec / W_dec.norm()},
                     hint="divide each row by its own length: W_dec / W_dec.norm(dim=1, keepdim=True)")
        raw_parallel = (grad * W_dec).sum(1, keepdim=True) * W_dec
        expect_close(answer[1], grad_perp, case=case, rtol=1e-5, atol=1e-8, what="the projected gradient",
                     mistakes={"remove the gradient's component along each decoder row": grad,
                               "project onto the UNIT row Ŵ_k: grad − (grad·Ŵ_k) Ŵ_k (your W_dec rows are not unit "
                               "length)": grad - raw_parallel,
                               "remove only the parallel part, keep the rest: grad − (grad·Ŵ_k) Ŵ_k":
                               (grad * unit).sum(1, keepdim=True) * unit},
                     hint="for each row k: grad_k − (grad_k · Ŵ_k) Ŵ_k, with Ŵ_k the unit-length row")


def _metrics_cases():
    g = _generator(50)
    x = torch.randn(8, 3, generator=g, dtype=torch.float64) + torch.tensor([3.0, -2.0, 1.0], dtype=torch.float64)
    x_hat = x + 0.3 * torch.randn(8, 3, generator=g, dtype=torch.float64)
    f = torch.relu(torch.randn(8, 6, generator=g, dtype=torch.float64) * 2.0)
    f[:, [1, 4]] = 0.0          # two dead features
    yield {"x shape": (8, 3), "f shape": (8, 6), "features that never fire": [1, 4]}, x, x_hat, f
    # a poor reconstruction (FVE below 0) and every feature firing at least once, one of them on one example only
    x = torch.randn(5, 4, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    x_hat = x.mean(0) + 1.5 * torch.randn(5, 4, generator=g, dtype=torch.float64)
    f = torch.relu(torch.randn(5, 7, generator=g, dtype=torch.float64) - 0.3)
    f[:, 2] = 0.0
    f[3, 2] = 0.7
    f[:, 5] = torch.rand(5, generator=g, dtype=torch.float64) + 0.1
    yield {"x shape": (5, 4), "f shape": (5, 7), "features that never fire": []}, x, x_hat, f


@exercise("12.sae_metrics", points=2, reference=ref.sae_metrics, title="L0, variance explained and dead features")
def check_sae_metrics(sae_metrics):
    for case, x, x_hat, f in _metrics_cases():
        got = sae_metrics(x, x_hat, f)
        if not isinstance(got, dict) or not {"l0", "fve", "dead_fraction"} <= set(got):
            raise CheckFailure("your function should return a dict with the keys 'l0', 'fve' and 'dead_fraction'.",
                               case=case, got=got if isinstance(got, dict) else None,
                               show_values=isinstance(got, dict))
        want = ref.sae_metrics(x, x_hat, f)
        expect_close(as_float(got["l0"], case=case, what="l0"), want["l0"], case=case, rtol=1e-6, what="l0",
                     mistakes={"L0 counts the active features (f > 0) per example, it does not sum their values":
                               float(f.sum(1).mean()),
                               "average the count over the examples in the batch": float((f > 0).sum())},
                     hint="L0 = mean over examples of the number of features with f > 0")
        residual = float(((x - x_hat) ** 2).sum())
        expect_close(as_float(got["fve"], case=case, what="fve"), want["fve"], case=case, rtol=1e-6, what="fve",
                     mistakes={"the variance is measured around the mean input: subtract x.mean(0) in the "
                               "denominator": 1 - residual / float((x ** 2).sum()),
                               "FVE = 1 − residual / total, not residual / total":
                               residual / float(((x - x.mean(0)) ** 2).sum()),
                               "the mean input is the mean over the batch (dim 0), one value per dimension":
                               1 - residual / float(((x - x.mean(1, keepdim=True)) ** 2).sum()),
                               "subtract the mean input x.mean(0), one value per dimension, not the mean of all "
                               "entries": 1 - residual / float(((x - x.mean()) ** 2).sum())},
                     hint="FVE = 1 − Σ||x − x̂||² / Σ||x − mean(x)||²")
        dead = int(((f > 0).sum(0) == 0).sum())
        mistakes = {"a feature is dead when it fires on NO example of the batch":
                    float(((f == 0).any(0)).float().mean())}
        if dead > 1:
            mistakes["report the FRACTION of features that are dead, not their number"] = float(dead)
        expect_close(as_float(got["dead_fraction"], case=case, what="dead_fraction"), want["dead_fraction"],
                     case=case, what="dead_fraction", mistakes=mistakes,
                     hint="a feature is dead when f == 0 for every example; divide the count by the number of "
                          "features")


def _greedy_matching(cosines):
    """Best cosines when each decoder row may serve only one true feature (greedy, highest cosine first)."""
    best = torch.full((cosines.shape[0],), float("nan"), dtype=cosines.dtype)
    used = set()
    order = sorted(((float(cosines[i, j]), i, j) for i in range(cosines.shape[0]) for j in range(cosines.shape[1])),
                   key=lambda item: -item[0])
    for value, i, j in order:
        if torch.isnan(best[i]) and j not in used:
            best[i] = value
            used.add(j)
    return best


@exercise("12.feature_recovery", points=1, reference=ref.feature_recovery,
          title="recovering known features: best cosine similarity")
def check_feature_recovery(feature_recovery):
    g = _generator(60)
    true = torch.randn(4, 3, generator=g, dtype=torch.float64)
    true = true / true.norm(dim=1, keepdim=True)
    W_dec = torch.cat([-2.0 * true[:1], 0.5 * true[1:3] + 0.1 * torch.randn(2, 3, generator=g, dtype=torch.float64),
                       torch.randn(3, 3, generator=g, dtype=torch.float64)])
    other_true = torch.randn(3, 5, generator=g, dtype=torch.float64) * torch.tensor([[0.5], [2.0], [1.3]],
                                                                                      dtype=torch.float64)
    other_decoder = torch.cat([other_true[[2, 0]] * torch.tensor([[0.7], [-1.5]], dtype=torch.float64)
                               + 0.2 * torch.randn(2, 5, generator=g, dtype=torch.float64),
                               torch.randn(2, 5, generator=g, dtype=torch.float64)])
    # ties everywhere: two identical true features, two decoder rows along the same direction, equal cosines
    tied_true = torch.tensor([[1.0, 0, 0], [1.0, 0, 0], [0, 2.0, 0], [0, 0, 1.0]], dtype=torch.float64)
    tied_decoder = torch.tensor([[3.0, 0, 0], [0, 1.0, 1.0], [0, 1.0, -1.0], [0, 0, -1.0], [1.5, 0, 0]],
                                dtype=torch.float64)
    cases = [("4 true features in 3 dims, 6 learned (one anti-aligned, rows of various lengths)", true, W_dec),
             ("unnormalised true directions", 3.0 * true, W_dec),
             ("3 true features of different lengths in 5 dims, 4 learned", other_true, other_decoder),
             ("ties: true features 0 and 1 are identical, decoder rows 0 and 4 point the same way, and true features "
              "2 and 3 are equally close to two decoder rows", tied_true, tied_decoder)]
    for label, directions, decoder in cases:
        case = {"setting": label}
        got = feature_recovery(directions.clone(), decoder.clone())
        expected = ref.feature_recovery(directions, decoder)
        a = directions / directions.norm(dim=1, keepdim=True)
        b = decoder / decoder.norm(dim=1, keepdim=True)
        expect_close(got, expected, case=case, rtol=1e-5, atol=1e-8, what="the best cosine similarities",
                     mistakes={"an anti-aligned direction (cosine −1) is not a recovered feature: drop the abs()":
                               (a @ b.T).abs().max(1).values,
                               "normalise both sets of directions: cosine similarity, not a dot product":
                               (directions @ decoder.T).max(1).values,
                               "normalise both sets of directions (the decoder rows too)":
                               (a @ decoder.T).max(1).values,
                               "one value per TRUE feature: take the max over the learned features (dim=1)":
                               (a @ b.T).max(0).values,
                               "each true feature takes its best decoder row, even when another true feature's best "
                               "row is the same one: no one-to-one matching": _greedy_matching(a @ b.T)},
                     hint="cosine matrix C = normalise(true) @ normalise(W_dec)ᵀ, then C.max(dim=1)")


@exercise("12.loss_recovered", points=1, reference=ref.loss_recovered,
          title="loss recovered when the SAE replaces the activations")
def check_loss_recovered(loss_recovered):
    cases = [(2.0, 2.5, 3.0), (1.2, 1.2, 3.0), (1.5, 3.5, 3.0), (0.8, 1.1, 1.4)]
    for clean, spliced, ablated in cases:
        case = {"clean_loss": clean, "sae_loss": spliced, "ablated_loss": ablated}
        expect_close(as_float(loss_recovered(clean, spliced, ablated), case=case, what="the loss recovered"),
                     ref.loss_recovered(clean, spliced, ablated), case=case, rtol=1e-6, what="the loss recovered",
                     mistakes={"measure against the ablated model, not relative to the clean loss alone":
                               1 - (spliced - clean) / clean,
                               "that is the fraction of loss LOST; loss recovered is 1 minus it":
                               (spliced - clean) / (ablated - clean),
                               "the denominator is the gap between the ablated and the CLEAN loss":
                               (ablated - spliced) / (ablated - clean + spliced - clean),
                               "a ratio of losses is not the score: (ablated − sae) / (ablated − clean)":
                               clean / spliced},
                     hint="(ablated_loss − sae_loss) / (ablated_loss − clean_loss)")
