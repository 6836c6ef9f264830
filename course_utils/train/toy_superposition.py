"""Recipe ``toy_superposition``: the sparsity sweep of lesson 12's toy models of superposition.

Five features with importance 0.9**i pass through two hidden dimensions,
x' = ReLU(WᵀWx + b) ("Toy Models of Superposition", Elhage et al., 2022), at
four feature sparsities with four seeds each, plus the same model without the
ReLU (linear) at the sparsest setting. All runs train together in one batched
loop (:func:`course_utils.models.toy_superposition.train_toy_models`); about
10 seconds of CPU time. Every instance's final loss is measured on the same
2**21 inputs (:func:`course_utils.models.toy_superposition.evaluate_instances`),
so the losses of different seeds can be ranked.
"""
import time

from . import recipe
from ..threads import one_thread

SPARSITIES = [0.0, 0.7, 0.9, 0.99]
SEEDS = [0, 1, 2, 3]
LINEAR_SPARSITY = 0.99
SETTINGS = dict(n_features=5, n_hidden=2, importance_decay=0.9, steps=1500, batch_size=512, lr=1e-2, data_seed=0)


def run(progress=True):
    """The sweep and the linear control: two result dicts from ``train_toy_models``."""
    from ..models.toy_superposition import train_toy_models  # imports torch, so one_thread can set it

    with one_thread():
        relu = train_toy_models(SPARSITIES, SEEDS, progress=progress, **SETTINGS)
        linear = train_toy_models([LINEAR_SPARSITY], SEEDS[:2], linear=True, progress=progress, **SETTINGS)
    return relu, linear


def load_sweep():
    """The shipped results: ``(relu, linear)`` dicts with W, b, loss, sparsities and seeds."""
    from ..checkpoints import load_checkpoint

    state, _ = load_checkpoint("toy_superposition")
    split = lambda prefix: {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
    return split("relu."), split("linear.")


@recipe("toy_superposition", description="lesson 12: toy models of superposition, 4 sparsities x 4 seeds + linear",
        metric="mean_loss_sparse", tolerance=0.0005)
def build(directory=None):
    from ..checkpoints import CHECKPOINT_DIR, save_checkpoint

    start = time.time()
    relu, linear = run()
    state = {f"relu.{k}": v for k, v in relu.items()}
    state.update({f"linear.{k}": v for k, v in linear.items()})
    info = {"seed": SEEDS, "data_recipe": "uniform[0,1] features, each zero with probability S (data_seed 0)",
            "sparsities": SPARSITIES, "linear_sparsity": LINEAR_SPARSITY, "settings": SETTINGS,
            "mean_loss_sparse": round(float(relu["loss"][-1].mean()), 6),
            "final_loss": [[round(float(v), 5) for v in row] for row in relu["loss"]],
            "train_seconds": round(time.time() - start, 1)}
    return save_checkpoint("toy_superposition", state, info, directory or CHECKPOINT_DIR)
