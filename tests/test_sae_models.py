"""Lesson 12's models: neuron resampling as "Towards Monosemanticity" describes it, the TopK encoder, and the toy
models' shared evaluation sample; the lesson's shipped checkpoints are small and verified."""
import pytest
import torch

from course_utils import checkpoints
from course_utils.lessons.lesson12_superposition_saes import reference as ref
from course_utils.models.sae import SparseAutoencoder, resample_dead_features, topk_activation
from course_utils.models.toy_superposition import ToyModel, evaluate_instances


def _silent_sae(d, n_features, alive_norm=3.0):
    """An SAE whose features never fire (so x_hat = b_dec): the per-input loss is ||x - b_dec||²."""
    sae = SparseAutoencoder(d, n_features, seed=0)
    with torch.no_grad():
        sae.W_enc.copy_(torch.nn.functional.normalize(torch.randn(d, n_features), dim=0) * alive_norm)
        sae.b_enc.fill_(-100.0)
    return sae


def test_resampling_picks_inputs_with_probability_proportional_to_the_squared_loss():
    torch.manual_seed(0)
    n_dead = 3000
    sae = _silent_sae(2, n_dead + 10)
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]])            # losses 1 and 4: squared, 1 and 16
    dead = torch.zeros(sae.n_features, dtype=torch.bool)
    dead[:n_dead] = True
    optimizer = torch.optim.Adam(sae.parameters())
    assert resample_dead_features(sae, optimizer, x, dead, generator=torch.Generator().manual_seed(1)) == n_dead
    share = float((sae.W_dec[:n_dead, 1] > 0.5).double().mean())
    assert abs(share - 16 / 17) < 0.02                      # proportional to the loss alone would give 0.8


def test_resampled_feature_takes_the_raw_input_and_a_small_encoder():
    sae = _silent_sae(3, 6, alive_norm=3.0)
    x = torch.tensor([[3.0, 4.0, 0.0]])
    with torch.no_grad():
        sae.b_dec.copy_(torch.tensor([1.0, -1.0, 2.0]))     # the paper uses the raw input, not x - b_dec
    dead = torch.tensor([True, False, True, False, False, False])
    optimizer = torch.optim.Adam(sae.parameters())
    sae.loss(x, 0.1)[0].backward()
    optimizer.step()
    resample_dead_features(sae, optimizer, x, dead)
    unit = torch.tensor([0.6, 0.8, 0.0])
    for i in (0, 2):
        assert torch.allclose(sae.W_dec[i], unit)
        assert torch.allclose(sae.W_enc[:, i], unit * 0.2 * 3.0, atol=1e-6)   # 0.2 x the mean alive encoder norm
        assert float(sae.b_enc.detach()[i]) == 0.0
        assert float(optimizer.state[sae.W_dec]["exp_avg"][i].abs().sum()) == 0.0
        assert float(optimizer.state[sae.W_enc]["exp_avg_sq"][:, i].abs().sum()) == 0.0
    assert float(optimizer.state[sae.b_dec]["exp_avg"].abs().sum()) > 0        # untouched parameters keep theirs


def test_topk_sae_encodes_with_the_reference_topk():
    sae = SparseAutoencoder(5, 12, seed=2, k=3)
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(3))
    pre = (x - sae.b_dec) @ sae.W_enc + sae.b_enc
    f = sae.encode(x)
    assert torch.equal(f, ref.topk_activation(pre, 3)) and torch.equal(f, topk_activation(pre, 3))
    assert int((f > 0).sum(1).max()) <= 3


def test_toy_models_share_one_evaluation_sample():
    model = ToyModel(1, 5, 2, seed=4)
    W = model.W.detach().repeat(2, 1, 1)
    b = torch.zeros(2, 5)
    loss = evaluate_instances(W, b, [0.7, 0.7], torch.ones(5), n_samples=4096)
    assert float(loss[0]) == float(loss[1])                 # identical weights, identical sample: identical loss


@pytest.mark.parametrize("name", ["sae_tinygpt", "sae_tinygpt_variants", "toy_superposition", "toy_phase_diagram"])
def test_lesson12_checkpoints_are_small_and_verified(name):
    info = checkpoints.verify(name)
    assert info["bytes"] < checkpoints.MAX_BYTES and "seed" in info and "data_recipe" in info
