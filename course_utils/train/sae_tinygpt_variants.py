"""Recipe ``sae_tinygpt_variants``: the SAEs lesson 12 compares with the shipped one (``sae_tinygpt``).

All read the same scaled activations of TinyGPT's ``blocks.1.mlp.hook_post`` as ``sae_tinygpt``
(:func:`course_utils.train.sae_tinygpt.activation_data`), with the same batch, learning rate and seed:

* a **TopK** SAE ("Scaling and evaluating sparse autoencoders", Gao et al., 2024): 512 features, each input keeps
  its ``TOPK_K`` largest pre-activations, trained on the reconstruction error alone (no L1 penalty, no resampling)
  for as many steps as the shipped L1 SAE; and a sweep over k with the L1 sweep's shorter runs, so the two
  families can be compared at equal L0;
* L1 SAEs with **smaller and larger dictionaries** (``DICTIONARY_SIZES``), trained exactly as the shipped one
  (λ, steps, resampling), for feature splitting ("Towards Monosemanticity", Bricken et al., 2023).

Only the weights of the TopK SAE and of the two dictionaries are shipped; the sweep keeps its metrics.
"""
import time

from . import recipe
from .sae_tinygpt import L1_COEFF, N_FEATURES, RESAMPLE_AT, SEED, STEPS, SWEEP_STEPS

TOPK_K = 10
TOPK_SWEEP = [3, 6, 12, 24]
DICTIONARY_SIZES = [128, 1024]


def run(progress=True):
    """``(topk_sae, dictionaries, scale, info)``: the trained SAEs and their metrics."""
    import torch

    from ..threads import one_thread
    from .sae_tinygpt import activation_data, sae_scores, train_one

    rounded = lambda scores: {key: round(value, 5) for key, value in scores.items()}
    with one_thread():
        torch.manual_seed(SEED)
        model, data, scale, evaluation = activation_data()
        sweep = []
        for k in TOPK_SWEEP:
            sae = train_one(data, 0.0, SWEEP_STEPS, resample_at=(), k=k, progress=progress)
            sweep.append(dict(k=k, **rounded(sae_scores(model, sae, scale, evaluation))))
        topk = train_one(data, 0.0, STEPS, resample_at=(), k=TOPK_K, progress=progress)
        dictionaries = {size: train_one(data, L1_COEFF, STEPS, resample_at=RESAMPLE_AT, n_features=size,
                                        progress=progress) for size in DICTIONARY_SIZES}
        info = {"topk_sweep": sweep, "topk": rounded(sae_scores(model, topk, scale, evaluation)),
                "dictionaries": {str(size): rounded(sae_scores(model, sae, scale, evaluation))
                                 for size, sae in dictionaries.items()}}
    return topk, dictionaries, scale, info


def load_variants():
    """``(topk_sae, {size: l1_sae}, scale, info)`` from the shipped checkpoint."""
    from ..checkpoints import load_checkpoint
    from ..models.sae import SparseAutoencoder

    state, info = load_checkpoint("sae_tinygpt_variants")
    part = lambda prefix: {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
    topk = SparseAutoencoder.from_state(part("topk."), k=info["topk_k"])
    dictionaries = {size: SparseAutoencoder.from_state(part(f"d{size}.")) for size in info["dictionary_sizes"]}
    return topk, dictionaries, float(state["scale"]), info


@recipe("sae_tinygpt_variants", description="lesson 12: a TopK SAE (with a k sweep) and L1 SAEs of 128 and 1024 "
        "features on the same TinyGPT activations", metric="topk_fve", tolerance=0.03)
def build(directory=None):
    import torch

    from .. import checkpoints
    from ..checkpoints import CHECKPOINT_DIR, save_checkpoint

    start = time.time()
    topk, dictionaries, scale, scores = run()
    state = {f"topk.{key}": value for key, value in topk.state().items()}
    for size, sae in dictionaries.items():
        state.update({f"d{size}.{key}": value for key, value in sae.state().items()})
    state["scale"] = torch.tensor(scale)
    info = {"seed": SEED, "topk_k": TOPK_K, "topk_sweep_k": TOPK_SWEEP, "dictionary_sizes": DICTIONARY_SIZES,
            "shipped_n_features": N_FEATURES, "l1_coeff": L1_COEFF, "steps": STEPS, "sweep_steps": SWEEP_STEPS,
            "resample_at": list(RESAMPLE_AT),
            "data_recipe": "the activations of the sae_tinygpt recipe (same windows, scale and evaluation text)",
            "tinygpt_sha256": checkpoints.metadata("tinygpt")["sha256"], "topk_fve": scores["topk"]["fve"],
            "train_seconds": round(time.time() - start, 1), **scores}
    return save_checkpoint("sae_tinygpt_variants", state, info, directory or CHECKPOINT_DIR)
