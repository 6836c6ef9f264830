"""Recipe ``sae_tinygpt``: a sparse autoencoder on TinyGPT's second MLP layer (lesson 12).

The SAE reads the 256 GELU neurons of ``blocks.1.mlp.hook_post`` on the story
corpus and learns a dictionary of 512 directions (2x overcomplete), in the
style of "Towards Monosemanticity" (Bricken et al., 2023). Activations are
divided by one fixed scale so that their mean squared norm is 1; the SAE works
in that scaled space and ``splice`` undoes the scale before handing the
reconstruction back to the model.

The recipe also sweeps the L1 coefficient and records, per value, L0, the
fraction of variance explained and the loss recovered on validation text: the
trade-off curve the lesson plots. ``course train sae_tinygpt`` rebuilds it all.
"""
import time

from . import recipe

HOOK = "blocks.1.mlp.hook_post"
N_FEATURES = 512
TRAIN_WINDOWS = 384          # windows of 128 characters from the training split: ~49k activation vectors
EVAL_WINDOWS = 48            # fixed windows of the validation split
SEED = 0
STEPS = 1500
BATCH = 256
LR = 2e-3
L1_COEFF = 0.15
SWEEP_L1 = [0.05, 0.15, 0.4, 1.0]
SWEEP_STEPS = 500
RESAMPLE_AT = (500, 1000)


def activations(model, windows):
    """The hook's activations for a batch of windows, flattened to (windows * n_ctx, d_mlp)."""
    _, cache = model.run_with_cache(windows, names=[HOOK])
    return cache[HOOK].reshape(-1, cache[HOOK].shape[-1])


def training_windows(seed=SEED, n_windows=TRAIN_WINDOWS):
    import torch

    from ..models.tinygpt import load_tinygpt
    from .tinygpt import encoded_corpus

    model, _, _ = load_tinygpt()
    ids = encoded_corpus("train")
    generator = torch.Generator().manual_seed(seed)
    n_ctx = model.config.n_ctx
    starts = torch.randint(0, len(ids) - n_ctx, (n_windows,), generator=generator)
    return model, torch.stack([ids[s:s + n_ctx] for s in starts.tolist()])


def evaluation_windows(model, n_windows=EVAL_WINDOWS):
    """Fixed windows (n_ctx + 1 characters) of validation text, the same every run."""
    from .tinygpt import encoded_corpus, validation_windows

    return validation_windows(encoded_corpus("validation"), model.config.n_ctx, n_windows)


def splice_losses(model, sae, scale, windows):
    """(clean, with the SAE spliced in, with the layer's neurons zero-ablated) next-character losses."""
    import torch

    module = dict(model.named_modules())[HOOK]

    def run(replace):
        handle = module.register_forward_hook(lambda _m, _i, output: replace(output)) if replace else None
        try:
            with torch.no_grad():
                return float(model.loss(windows))
        finally:
            if handle:
                handle.remove()

    def through_sae(output):
        return sae(output / scale)[1] * scale

    return run(None), run(through_sae), run(torch.zeros_like)


def sae_scores(model, sae, scale, windows):
    """L0, FVE, dead fraction (on the evaluation text) and the three losses, as a dict of floats."""
    import torch

    from ..lessons.lesson12_superposition_saes.reference import loss_recovered, sae_metrics

    x = activations(model, windows[:, :-1]) / scale
    with torch.no_grad():
        f, x_hat = sae(x)
    scores = sae_metrics(x, x_hat, f)
    clean, spliced, ablated = splice_losses(model, sae, scale, windows)
    scores.update(clean_loss=clean, sae_loss=spliced, ablated_loss=ablated,
                  loss_recovered=loss_recovered(clean, spliced, ablated))
    return scores


def train_one(data, l1_coeff, steps, seed=SEED, progress=True, resample_at=RESAMPLE_AT, n_features=N_FEATURES, k=None):
    """One SAE on ``data``: an L1 SAE (``k=None``) or a TopK SAE (pass ``l1_coeff=0`` and no resampling)."""
    import torch

    from ..models.sae import SparseAutoencoder, train_sae

    generator = torch.Generator().manual_seed(seed)
    sae = SparseAutoencoder(data.shape[1], n_features, seed=seed, k=k)
    with torch.no_grad():
        sae.b_dec.copy_(data.median(dim=0).values)     # start the centring bias at the data's median
    batch = lambda step: data[torch.randint(0, len(data), (BATCH,), generator=generator)]
    label = f"SAE l1={l1_coeff:g}" if k is None else f"TopK SAE k={k}"
    train_sae(sae, batch, l1_coeff, steps=steps, lr=LR, resample_at=[s for s in resample_at if s < steps],
              resample_window=400, progress=progress, desc=f"{label}, {n_features} features")
    return sae


def activation_data(seed=SEED):
    """``(model, data, scale, evaluation windows)``: the scaled training activations every SAE of lesson 12 reads."""
    model, windows = training_windows(seed)
    data = activations(model, windows)
    scale = float(data.pow(2).sum(1).mean().sqrt())
    return model, data / scale, scale, evaluation_windows(model)


def run(progress=True, sweep=True):
    """Train the shipped SAE (and the sweep); return (sae, scale, scores, sweep_rows)."""
    import torch

    from ..threads import one_thread

    with one_thread():
        torch.manual_seed(SEED)
        model, data, scale, evaluation = activation_data()
        rows = []
        if sweep:
            for l1 in SWEEP_L1:
                sae = train_one(data, l1, SWEEP_STEPS, progress=progress)
                rows.append(dict(l1_coeff=l1, **{k: round(v, 5) for k, v in sae_scores(model, sae, scale, evaluation).items()}))
        sae = train_one(data, L1_COEFF, STEPS, progress=progress)
        scores = sae_scores(model, sae, scale, evaluation)
    return sae, scale, scores, rows


def load_sae():
    """The shipped SAE, its activation scale and its metadata: ``sae, scale, info = load_sae()``."""
    from ..checkpoints import load_checkpoint
    from ..models.sae import SparseAutoencoder

    state, info = load_checkpoint("sae_tinygpt")
    scale = float(state.pop("scale"))
    return SparseAutoencoder.from_state(state), scale, info


@recipe("sae_tinygpt", description="lesson 12: a 512-feature SAE on TinyGPT's layer-1 MLP, with an L1 sweep",
        metric="loss_recovered", tolerance=0.05)
def build(directory=None):
    import torch

    from .. import checkpoints
    from ..checkpoints import CHECKPOINT_DIR, save_checkpoint

    start = time.time()
    sae, scale, scores, rows = run()
    state = dict(sae.state(), scale=torch.tensor(scale))
    info = {"seed": SEED, "hook": HOOK, "n_features": N_FEATURES, "l1_coeff": L1_COEFF, "steps": STEPS,
            "batch": BATCH, "lr": LR, "resample_at": list(RESAMPLE_AT),
            "data_recipe": f"{TRAIN_WINDOWS} random windows of the story corpus's train split (seed {SEED}); "
                           f"metrics on {EVAL_WINDOWS} fixed validation windows",
            "tinygpt_sha256": checkpoints.metadata("tinygpt")["sha256"],
            "sweep": rows, "train_seconds": round(time.time() - start, 1),
            **{k: round(v, 5) for k, v in scores.items()}}
    return save_checkpoint("sae_tinygpt", state, info, directory or CHECKPOINT_DIR)
