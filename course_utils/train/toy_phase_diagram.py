"""Recipe ``toy_phase_diagram``: the importance x sparsity phase diagram of lesson 12.

"Toy Models of Superposition" (Elhage et al., 2022), section "Superposition as a Phase Change": two features pass
through one hidden dimension, x' = ReLU(WᵀWx + b) with W of shape (1, 2). Feature 0 has importance 1; the "extra"
feature 1 has importance r. Both are active with probability ``density`` = 1 - S (then uniform on [0, 1]). For each
(r, density) on a 9 x 9 grid the model trains from two seeds; the lesson keeps, per cell, the seed with the lower
loss on one large fixed sample and reads its phase off W: the extra feature not represented, the extra feature given
the dimension (feature 0 dropped), or both stored antipodally (superposition).
"""
import time

from . import recipe

RELATIVE_IMPORTANCE = [round(10 ** (-1 + i / 4), 4) for i in range(9)]     # 0.1 ... 10, evenly on a log scale
DENSITY = [round(10 ** (-i / 4), 4) for i in range(9)]                    # 1 ... 0.01
SEEDS = [0, 1]
SETTINGS = dict(steps=2000, batch_size=512, lr=1e-2, data_seed=0, eval_samples=2 ** 18)


def grid():
    """``(sparsity, importance)`` of every cell, density-major: row i of the diagram is DENSITY[i]."""
    import torch

    sparsity = torch.tensor([1 - d for d in DENSITY for _ in RELATIVE_IMPORTANCE])
    importance = torch.tensor([[1.0, r] for _ in DENSITY for r in RELATIVE_IMPORTANCE])
    return sparsity, importance


def run(progress=True):
    import torch  # noqa: F401  (loaded first: one_thread acts only on a loaded torch)

    from ..models.toy_superposition import train_toy_grid
    from ..threads import one_thread

    with one_thread():
        sparsity, importance = grid()
        return train_toy_grid(sparsity, importance, n_hidden=1, seeds=SEEDS, progress=progress, **SETTINGS)


def load_phase_diagram():
    """The shipped result: a dict with W (81, 2, 1, 2), b (81, 2, 2) and loss (81, 2), cells density-major."""
    from ..checkpoints import load_checkpoint

    state, _ = load_checkpoint("toy_phase_diagram")
    return state


@recipe("toy_phase_diagram", description="lesson 12: 2 features in 1 dimension on a 9 x 9 grid of importance x "
        "density, 2 seeds each", metric="mean_loss", tolerance=0.002)
def build(directory=None):
    from ..checkpoints import CHECKPOINT_DIR, save_checkpoint

    start = time.time()
    result = run()
    info = {"seed": SEEDS, "relative_importance": RELATIVE_IMPORTANCE, "density": DENSITY, "settings": SETTINGS,
            "data_recipe": "uniform[0,1] features, each active with probability density (data_seed 0); losses "
                           "on 2**18 fixed samples",
            "mean_loss": round(float(result["loss"].min(1).values.mean()), 6),
            "train_seconds": round(time.time() - start, 1)}
    return save_checkpoint("toy_phase_diagram", state=result, info=info, directory=directory or CHECKPOINT_DIR)
