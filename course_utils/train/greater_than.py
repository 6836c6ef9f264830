"""Recipe ``greater_than``: a 2-layer transformer with MLPs on the greater-than task (lesson 11).

The prompts are Hanna et al. 2023's template in miniature (``course_utils.data.greater_than``):
``The <noun> lasted from the year CC YY to the year CC``. Only the last position is trained, towards the
uniform distribution over the two-digit numbers greater than YY (a soft cross-entropy target), so the
model's probability difference Σ_{y > YY} p(y) − Σ_{y ≤ YY} p(y) approaches 1. AdamW with a one-cycle
schedule on one torch thread: bit-for-bit reproducible from the seed, about a minute on one core.
"""
import time

import numpy as np

from . import recipe

MODEL_CONFIG = dict(n_layers=2, n_heads=4, d_model=64, d_head=16, d_mlp=256, n_ctx=12, d_vocab=116)
SEED = 0
STEPS = 1500
TRAIN_YEARS = list(range(1, 99))   # YY = 01 included, so the corrupted prompts are ones the model knows
BATCH = 128
LR = 3e-3


def soft_cross_entropy(logits, yy):
    """Cross-entropy of the last position's logits against the uniform distribution over years > YY."""
    from ..data.greater_than import target_distribution

    return -(target_distribution(yy) * logits[:, -1].log_softmax(-1)).sum(-1).mean()


def evaluate(model, batch=2000, seed=99):
    """Held-out probability difference on clean prompts and on the same prompts corrupted (YY = 01)."""
    import torch

    from ..data.greater_than import corrupt, greater_than_batch, probability_difference

    tokens, yy = greater_than_batch(batch, np.random.default_rng(seed))
    with torch.no_grad():
        clean = float(probability_difference(model(tokens), yy))
        corrupted = float(probability_difference(model(corrupt(tokens)), yy))
    return clean, corrupted


def train(steps=STEPS, seed=SEED, progress=True):
    """Train the model; return ``(model, history)``."""
    from ..data.greater_than import greater_than_batch
    from ..models.greater_than import build_greater_than
    from .adamw_loop import train_with_adamw

    def batch_loss(model, rng):
        tokens, yy = greater_than_batch(BATCH, rng, years=TRAIN_YEARS)
        return soft_cross_entropy(model(tokens), yy)

    model, history = train_with_adamw(lambda: build_greater_than(MODEL_CONFIG, seed=seed), batch_loss, steps=steps,
                                      seed=seed, lr=LR, desc="greater_than", progress=progress)
    model.eval()
    return model, history


@recipe("greater_than", description="2-layer transformer with MLPs on Hanna et al.'s greater-than task (lesson 11)",
        metric="probability_difference", tolerance=0.03)
def build(directory):
    from ..checkpoints import save_checkpoint

    start = time.time()
    model, history = train()
    clean, corrupted = evaluate(model)
    info = dict(seed=SEED, steps=STEPS, train_years=[TRAIN_YEARS[0], TRAIN_YEARS[-1]], batch=BATCH, lr=LR, model_config=MODEL_CONFIG,
                data_recipe="course_utils.data.greater_than.greater_than_batch",
                note="plain PyTorch (course_utils.models.greater_than), one torch thread; last position only, "
                     "soft target uniform over the years > YY",
                final_train_loss=round(float(np.mean(history[-50:])), 4),
                probability_difference=round(clean, 4), corrupted_probability_difference=round(corrupted, 4),
                train_seconds=round(time.time() - start, 1))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return save_checkpoint("greater_than", state, info, directory=directory)
