"""Checkers for lesson 12: superposition and sparse autoencoders."""
import math

import numpy as np
import torch

from ...checking import CheckFailure, Mistakes, as_array, as_float, call_with_inputs, expect_close, expect_true, \
    gradients
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("12", "superposition_saes", "Superposition and sparse autoencoders", 120,
                    "toy models of superposition across sparsity (orthogonal, antipodal, pentagon) and the importance "
                    "× sparsity phase diagram, sparse autoencoders with the paper's resampling, recovering planted "
                    "features, interpretable features in TinyGPT, TopK against L1 SAEs at equal L0, feature density, "
                    "feature splitting")


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
          title="the toy model x' = ReLU(WᵀWx + b)", mistakes=mistakes.TOY_MODEL_FORWARD)
def check_toy_model_forward(toy_model_forward):
    for seed, (batch, m, n) in enumerate([(4, 2, 5), (3, 3, 6), (2, 1, 3)]):
        g = _generator(seed)
        x = torch.rand(batch, n, generator=g, dtype=torch.float64)
        W = torch.randn(m, n, generator=g, dtype=torch.float64)
        b = torch.randn(n, generator=g, dtype=torch.float64) * 0.5
        case = {"x shape": (batch, n), "W shape": (m, n), "b shape": (n,)}
        expect_close(toy_model_forward(x, W, b), ref.toy_model_forward(x, W, b), case=case, rtol=1e-5, atol=1e-7,
                     what="x'", mistakes=mistakes.TOY_MODEL_FORWARD.answers(x, W, b),
                     hint="compress with h = x Wᵀ (shape (batch, m)), read out with h W, add b, then ReLU")


@exercise("12.importance_weighted_loss", points=1, reference=ref.importance_weighted_loss,
          title="the importance-weighted reconstruction loss", mistakes=mistakes.IMPORTANCE_WEIGHTED_LOSS)
def check_importance_weighted_loss(importance_weighted_loss):
    for seed, (batch, n) in enumerate([(6, 5), (3, 4), (1, 3)]):
        g = _generator(10 + seed)
        x = torch.rand(batch, n, generator=g, dtype=torch.float64)
        x_hat = torch.rand(batch, n, generator=g, dtype=torch.float64)
        importance = 0.8 ** torch.arange(n, dtype=torch.float64)
        case = {"x shape": (batch, n), "importance": importance}
        expect_close(importance_weighted_loss(x, x_hat, importance), ref.importance_weighted_loss(x, x_hat, importance),
                     case=case, rtol=1e-5, what="the loss",
                     mistakes=mistakes.IMPORTANCE_WEIGHTED_LOSS.answers(x, x_hat, importance),
                     hint="L = mean over the batch of Σ_i I_i (x_i − x̂_i)²")


@exercise("12.feature_dimensionality", points=2, reference=ref.feature_dimensionality,
          title="how many dimensions each feature gets", mistakes=mistakes.FEATURE_DIMENSIONALITY)
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
        got_array = as_array(got, case={"W": label}, what="D")
        if got_array.shape == (W.shape[0],):
            raise CheckFailure(f"D should have one entry per feature (a column of W), shape {(W.shape[1],)}, but it "
                               f"has shape {got_array.shape}.", case={"W": label, "W shape": tuple(W.shape)},
                               show_values=False, hint="features are the columns W_i = W[:, i]")
        expect_true(np.all(np.isfinite(got_array)) or known is None or min(known) > 0,
                    "D contains nan or inf for a dead feature (a zero column); give it dimensionality 0.",
                    case={"W": label}, hint="guard the division when ||W_i|| = 0")
        expect_close(got_array, expected, case={"W": label}, rtol=1e-4, atol=1e-6, what="D",
                     mistakes=mistakes.FEATURE_DIMENSIONALITY.answers(W),
                     hint="D_i = ||W_i||² / Σ_j (Ŵ_i·W_j)², with the sum running over all features j (including i)")


@exercise("12.sae_forward", points=2, reference=ref.sae_forward, title="a sparse autoencoder's forward pass",
          mistakes=mistakes.SAE_FORWARD)
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
        mistaken = mistakes.SAE_FORWARD.answers(x, W_enc, b_enc, W_dec, b_dec)
        expect_close(answer[0], f, case=case, rtol=1e-5, atol=1e-8, what="the features f",
                     mistakes=mistaken.map(lambda answer: answer[0]),
                     hint="f = ReLU((x − b_dec) W_enc + b_enc), one row per example, one column per feature")
        expect_close(answer[1], x_hat, case=case, rtol=1e-5, atol=1e-8, what="the reconstruction x_hat",
                     mistakes=mistaken.map(lambda answer: answer[1]))


def _sae_case(seed, batch=6, d=4, k=8):
    g = _generator(30 + seed)
    params = [torch.randn(d, k, generator=g, dtype=torch.float64),
              torch.randn(k, generator=g, dtype=torch.float64) * 0.3,
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


def _gradients_of(sae_loss):
    """``sae_loss``'s gradients with respect to the four parameters, as a function of ``(x, params, l1_coeff)``."""
    def gradients_of_loss(x, params, l1_coeff):
        leaves = [p.detach().clone().requires_grad_(True) for p in params]
        return torch.autograd.grad(sae_loss(x, *leaves, l1_coeff), leaves, allow_unused=True, materialize_grads=True)

    return gradients_of_loss


# the gradient check names a mistake by the gradients of the loss it gives
SAE_LOSS_GRADIENTS = Mistakes({hint: _gradients_of(loss) for hint, loss in mistakes.SAE_LOSS})


@exercise("12.sae_loss", points=2, reference=ref.sae_loss, title="the SAE loss: reconstruction + λ·L1",
          mistakes=mistakes.SAE_LOSS)
def check_sae_loss(sae_loss):
    for seed, l1_coeff in enumerate([0.1, 1.0, 0.0]):
        x, (W_enc, b_enc, W_dec, b_dec) = _sae_case(seed)
        case = {"x shape": tuple(x.shape), "W_enc shape": tuple(W_enc.shape), "l1_coeff": l1_coeff}
        got, leaves = sae_loss_call(sae_loss, x, (W_enc, b_enc, W_dec, b_dec), l1_coeff)
        expected = ref.sae_loss(x, W_enc, b_enc, W_dec, b_dec, l1_coeff)
        expect_close(got, expected, case=case, rtol=1e-5, what="the loss",
                     mistakes=mistakes.SAE_LOSS.answers(x, W_enc, b_enc, W_dec, b_dec, l1_coeff),
                     hint="loss = mean_batch Σ_d (x̂ − x)² + l1_coeff · mean_batch Σ_k |f_k|")
        expect_true(isinstance(got, torch.Tensor) and got.requires_grad,
                    "the loss should be a torch tensor that gradients flow through (we train with loss.backward()).",
                    case=case, hint="compute it with torch operations on the parameters; avoid .item(), float() "
                                    "or numpy inside the loss")
        grads = gradients(got, leaves, case=case, what="the loss")
        params = (W_enc, b_enc, W_dec, b_dec)
        want = _gradients_of(ref.sae_loss)(x, params, l1_coeff)
        mistaken = SAE_LOSS_GRADIENTS.answers(x, params, l1_coeff)
        for index, (name, g, w) in enumerate(zip(("W_enc", "b_enc", "W_dec", "b_dec"), grads, want)):
            expect_close(g, w, case=case, rtol=1e-5, atol=1e-8, what=f"the gradient of the loss with respect to {name}",
                         mistakes=mistaken.map(lambda answer, index=index: answer[index]),
                         hint="the value is right but its gradient is not: keep every term a torch computation on "
                              "the parameters (no .item(), .detach(), float() or numpy anywhere in the loss)")


@exercise("12.constrain_decoder", points=2, reference=ref.constrain_decoder,
          title="unit-norm decoder rows and the gradient that respects them", mistakes=mistakes.CONSTRAIN_DECODER)
def check_constrain_decoder(constrain_decoder):
    for seed, (k, d) in enumerate([(6, 4), (3, 5), (2, 2)]):
        g = _generator(40 + seed)
        W_dec = torch.randn(k, d, generator=g, dtype=torch.float64) * torch.linspace(0.5, 2.0, k,
                                                                                       dtype=torch.float64)[:, None]
        grad = torch.randn(k, d, generator=g, dtype=torch.float64)
        case = {"W_dec shape": (k, d), "grad shape": (k, d)}
        answer = _pair(constrain_decoder(W_dec, grad), "(W_unit, grad_perp)", case)
        unit, grad_perp = ref.constrain_decoder(W_dec, grad)
        mistaken = mistakes.CONSTRAIN_DECODER.answers(W_dec, grad)
        expect_close(answer[0], unit, case=case, rtol=1e-5, atol=1e-8, what="the normalised decoder",
                     mistakes=mistaken.map(lambda answer: answer[0]),
                     hint="divide each row by its own length: W_dec / W_dec.norm(dim=1, keepdim=True)")
        expect_close(answer[1], grad_perp, case=case, rtol=1e-5, atol=1e-8, what="the projected gradient",
                     mistakes=mistaken.map(lambda answer: answer[1]),
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


@exercise("12.sae_metrics", points=2, reference=ref.sae_metrics, title="L0, variance explained and dead features",
          mistakes=mistakes.SAE_METRICS)
def check_sae_metrics(sae_metrics):
    for case, x, x_hat, f in _metrics_cases():
        got = sae_metrics(x, x_hat, f)
        if not isinstance(got, dict) or not {"l0", "fve", "dead_fraction"} <= set(got):
            raise CheckFailure("your function should return a dict with the keys 'l0', 'fve' and 'dead_fraction'.",
                               case=case, got=got if isinstance(got, dict) else None,
                               show_values=isinstance(got, dict))
        want = ref.sae_metrics(x, x_hat, f)
        mistaken = mistakes.SAE_METRICS.answers(x, x_hat, f)
        expect_close(as_float(got["l0"], case=case, what="l0"), want["l0"], case=case, rtol=1e-6, what="l0",
                     mistakes=mistaken.map(lambda answer: answer["l0"]),
                     hint="L0 = mean over examples of the number of features with f > 0")
        expect_close(as_float(got["fve"], case=case, what="fve"), want["fve"], case=case, rtol=1e-6, what="fve",
                     mistakes=mistaken.map(lambda answer: answer["fve"]),
                     hint="FVE = 1 − Σ||x − x̂||² / Σ||x − mean(x)||²")
        expect_close(as_float(got["dead_fraction"], case=case, what="dead_fraction"), want["dead_fraction"],
                     case=case, what="dead_fraction", mistakes=mistaken.map(lambda answer: answer["dead_fraction"]),
                     hint="a feature is dead when f == 0 for every example; divide the count by the number of "
                          "features")


@exercise("12.feature_recovery", points=1, reference=ref.feature_recovery,
          title="recovering known features: best cosine similarity", mistakes=mistakes.FEATURE_RECOVERY)
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
    # true directions of length 3 first: with unit ones, a dot product equals normalising only the true side
    cases = [("4 true features of length 3 in 3 dims, 6 learned (one anti-aligned, rows of various lengths)",
              3.0 * true, W_dec),
             ("the same with unit-length true directions", true, W_dec),
             ("3 true features of different lengths in 5 dims, 4 learned", other_true, other_decoder),
             ("ties: true features 0 and 1 are identical, decoder rows 0 and 4 point the same way, and true features "
              "2 and 3 are equally close to two decoder rows", tied_true, tied_decoder)]
    for label, directions, decoder in cases:
        case = {"setting": label}
        got = feature_recovery(directions.clone(), decoder.clone())
        expected = ref.feature_recovery(directions, decoder)
        expect_close(got, expected, case=case, rtol=1e-5, atol=1e-8, what="the best cosine similarities",
                     mistakes=mistakes.FEATURE_RECOVERY.answers(directions, decoder),
                     hint="cosine matrix C = normalise(true) @ normalise(W_dec)ᵀ, then C.max(dim=1)")


@exercise("12.loss_recovered", points=1, reference=ref.loss_recovered,
          title="loss recovered when the SAE replaces the activations", mistakes=mistakes.LOSS_RECOVERED)
def check_loss_recovered(loss_recovered):
    cases = [(2.0, 2.5, 3.0), (1.2, 1.2, 3.0), (1.5, 3.5, 3.0), (0.8, 1.1, 1.4)]
    for clean, spliced, ablated in cases:
        case = {"clean_loss": clean, "sae_loss": spliced, "ablated_loss": ablated}
        expect_close(as_float(loss_recovered(clean, spliced, ablated), case=case, what="the loss recovered"),
                     ref.loss_recovered(clean, spliced, ablated), case=case, rtol=1e-6, what="the loss recovered",
                     mistakes=mistakes.LOSS_RECOVERED.answers(clean, spliced, ablated),
                     hint="(ablated_loss − sae_loss) / (ablated_loss − clean_loss)")


def _topk_cases():
    g = _generator(70)
    yield "4 inputs, 7 features, k = 2", torch.randn(4, 7, generator=g, dtype=torch.float64), 2
    # rows with fewer positive pre-activations than k: the ReLU must zero a kept negative value
    few_positive = torch.randn(3, 6, generator=g, dtype=torch.float64) - 1.0
    few_positive[0] = torch.tensor([-0.4, 1.3, -2.0, -0.1, -0.9, -1.5], dtype=torch.float64)
    yield "3 inputs, 6 features, k = 3, rows with fewer than 3 positive entries", few_positive, 3
    yield "5 inputs, 8 features, k = 1", torch.randn(5, 8, generator=g, dtype=torch.float64) * 2.0, 1
    yield "4 inputs, 4 features, k = 4 (every feature kept: a plain ReLU)", \
        torch.randn(4, 4, generator=g, dtype=torch.float64), 4


@exercise("12.topk_activation", points=2, reference=ref.topk_activation,
          title="the TopK activation: keep the k largest pre-activations", mistakes=mistakes.TOPK_ACTIVATION)
def check_topk_activation(topk_activation):
    for label, pre, k in _topk_cases():
        case = {"pre": label, "k": k}
        expect_close(topk_activation(pre.clone(), k), ref.topk_activation(pre, k), case=case, rtol=1e-6,
                     atol=1e-12, what="the activations", mistakes=mistakes.TOPK_ACTIVATION.answers(pre, k),
                     hint="per row: top = pre.topk(k, dim=-1); put ReLU(top.values) at top.indices of a tensor of "
                          "zeros shaped like pre")
