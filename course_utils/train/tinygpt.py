"""Recipe ``tinygpt``: a character-level TinyGPT trained on the course's story corpus.

``course train tinygpt`` rebuilds ``course_utils/checkpoints/tinygpt.pt`` from
``course_utils.data.stories.corpus()`` with the seed and settings below. The
same training function drives lesson 05's finetuning and scaling experiments:

* :func:`train_tinygpt` trains any config on any text (optionally from a
  pretrained state) and returns the model and its loss history;
* :func:`validation_loss` is the deterministic metric every result reports;
* :func:`finetune_experiment` and :func:`scaling_experiment` rerun the
  results shipped as ``course_utils/data/tinygpt_finetune.json`` and
  ``course_utils/data/tinygpt_scaling.json``.
"""
import json
import time
from pathlib import Path

import numpy as np

from . import recipe

MODEL_CONFIG = dict(n_ctx=128, d_model=64, n_heads=4, n_layers=2, d_mlp=256)
SEED = 0
STEPS = 1200
BATCH = 16
LR = 3e-3
WEIGHT_DECAY = 0.01
EVAL_WINDOWS = 64
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FINETUNE_RESULTS = DATA_DIR / "tinygpt_finetune.json"
SCALING_RESULTS = DATA_DIR / "tinygpt_scaling.json"


def encoded_corpus(split, tokenizer=None, **corpus_args):
    """The corpus split as a 1-D long tensor of character ids."""
    import torch

    from ..data.stories import corpus
    from ..models.tinygpt import char_tokenizer

    tokenizer = tokenizer or char_tokenizer()
    return torch.tensor(tokenizer.encode(corpus(split, **corpus_args)), dtype=torch.long)


def validation_windows(ids, n_ctx, n_windows=EVAL_WINDOWS):
    """``n_windows`` evenly spaced windows of n_ctx + 1 tokens: the same every run."""
    import torch

    starts = np.linspace(0, len(ids) - n_ctx - 1, n_windows).astype(int)
    return torch.stack([ids[s:s + n_ctx + 1] for s in starts])


def validation_loss(model, ids, n_windows=EVAL_WINDOWS):
    """Mean next-token cross-entropy (nats per character) on fixed windows of ``ids``."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        loss = float(model.loss(validation_windows(ids, model.config.n_ctx, n_windows)))
    model.train(was_training)
    return loss


def train_tinygpt(train_ids, config=None, steps=STEPS, batch=BATCH, lr=LR, seed=SEED, init_state=None,
                  eval_ids=None, eval_every=None, progress=True, desc="TinyGPT"):
    """Train a TinyGPT with AdamW and a one-cycle schedule on random windows of ``train_ids``.

    Returns ``(model, history)``: ``history["train"]`` holds every step's loss and, when
    ``eval_ids`` and ``eval_every`` are given, ``history["eval"]`` holds ``(step, loss)`` pairs.
    """
    import torch
    from tqdm.auto import tqdm

    from ..models.tinygpt import TinyGPT, TinyGPTConfig

    config = config if isinstance(config, TinyGPTConfig) else TinyGPTConfig(**dict(MODEL_CONFIG, **(config or {})))
    model = TinyGPT(config, seed=seed)
    if init_state is not None:
        model.load_state_dict(init_state)
    model.train()
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=WEIGHT_DECAY, betas=(0.9, 0.99))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    history = {"train": [], "eval": []}
    width = config.n_ctx + 1
    for step in tqdm(range(steps), desc=desc, disable=not progress):
        if eval_ids is not None and eval_every and step % eval_every == 0:
            history["eval"].append((step, validation_loss(model, eval_ids)))
        starts = torch.randint(0, len(train_ids) - width, (batch,), generator=generator)
        tokens = torch.stack([train_ids[s:s + width] for s in starts.tolist()])
        loss = model.loss(tokens)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        history["train"].append(loss.item())
    if eval_ids is not None and eval_every:
        history["eval"].append((steps, validation_loss(model, eval_ids)))
    model.eval()
    return model, history


@recipe("tinygpt", description="character-level TinyGPT on the story corpus (lessons 05, 06, 07, 08, 12)",
        metric="validation_loss", tolerance=0.05)
def build(directory, steps=STEPS):
    import torch

    from ..checkpoints import save_checkpoint
    from ..data.stories import CORPUS_RECIPE
    from ..models.tinygpt import char_tokenizer

    start, cpu_start = time.time(), time.process_time()
    tokenizer = char_tokenizer()
    train_ids, val_ids = encoded_corpus("train", tokenizer), encoded_corpus("validation", tokenizer)
    model, history = train_tinygpt(train_ids, steps=steps)
    info = dict(seed=SEED, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY, optimizer="AdamW, one-cycle",
                model_config=model.config.to_dict(), alphabet="".join(tokenizer.vocab),
                data_recipe=dict(CORPUS_RECIPE, generator="course_utils.data.stories.corpus"),
                train_characters=len(train_ids), validation_characters=len(val_ids),
                parameters=sum(p.numel() for p in model.parameters()),
                final_train_loss=round(float(np.mean(history["train"][-50:])), 4),
                validation_loss=round(validation_loss(model, val_ids), 4),
                train_seconds=round(time.time() - start, 1),
                train_cpu_seconds=round(time.process_time() - cpu_start, 1), torch_threads=torch.get_num_threads(),
                torch_version=torch.__version__.split("+")[0])
    state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    return save_checkpoint("tinygpt", state, info, directory=directory)


def finetune_experiment(story_type="dialogue", steps=150, lr=1e-3, n_stories=400, seed=SEED, progress=True,
                        path=FINETUNE_RESULTS):
    """Pretrained-then-finetuned vs trained-from-scratch on one story type, for the same few steps.

    Returns (and writes to ``path`` when given) validation losses on that story type and on the
    full corpus for the pretrained, finetuned and from-scratch models, with each training run's
    validation curve on the slice. Only numbers are kept, no weights.
    """
    from ..models.tinygpt import char_tokenizer, load_tinygpt

    pretrained, tokenizer, _ = load_tinygpt()
    slice_args = dict(n_stories=n_stories, seed=seed + 1, story_type=story_type)
    slice_train, slice_val = encoded_corpus("train", tokenizer, **slice_args), encoded_corpus("validation", tokenizer, **slice_args)
    full_val = encoded_corpus("validation", char_tokenizer())
    results = dict(story_type=story_type, steps=steps, lr=lr, n_stories=n_stories, seed=seed,
                   pretrained=dict(slice_val=validation_loss(pretrained, slice_val),
                                   full_val=validation_loss(pretrained, full_val)))
    state = {k: v.clone() for k, v in pretrained.state_dict().items()}
    for label, init in (("finetuned", state), ("scratch", None)):
        model, history = train_tinygpt(slice_train, pretrained.config, steps=steps, lr=lr if init else LR,
                                       seed=seed, init_state=init, eval_ids=slice_val, eval_every=max(1, steps // 10),
                                       progress=progress, desc=label)
        results[label] = dict(slice_val=validation_loss(model, slice_val), full_val=validation_loss(model, full_val),
                              curve=[(s, round(v, 4)) for s, v in history["eval"]])
    results = _rounded(results)
    if path:
        Path(path).write_text(json.dumps(results, indent=1) + "\n")
    return results


SCALING_WIDTHS = (8, 16, 24, 32, 48, 64)


def scaling_experiment(widths=SCALING_WIDTHS, steps=600, n_layers=2, progress=True, path=SCALING_RESULTS):
    """Validation loss of TinyGPTs of growing width, each trained for the same ``steps``.

    Width d_model sets the size: n_heads = 4 when d_model >= 16 (else 2), d_mlp = 4 d_model.
    Returns (and writes to ``path`` when given) one row per model with its non-embedding
    parameter count and validation loss.
    """
    from ..models.tinygpt import char_tokenizer

    tokenizer = char_tokenizer()
    train_ids, val_ids = encoded_corpus("train", tokenizer), encoded_corpus("validation", tokenizer)
    rows = []
    start = time.time()
    for width in widths:
        config = dict(MODEL_CONFIG, d_model=width, n_heads=4 if width >= 16 else 2, d_mlp=4 * width, n_layers=n_layers)
        model, _ = train_tinygpt(train_ids, config, steps=steps, progress=progress, desc=f"d_model={width}")
        non_embedding = sum(p.numel() for name, p in model.named_parameters() if name not in ("W_E", "W_pos", "W_U"))
        rows.append(dict(d_model=width, n_layers=n_layers, parameters=sum(p.numel() for p in model.parameters()),
                         non_embedding_parameters=non_embedding, validation_loss=validation_loss(model, val_ids)))
    results = _rounded(dict(steps=steps, batch=BATCH, lr=LR, seed=SEED, rows=rows,
                            seconds=time.time() - start))
    if path:
        Path(path).write_text(json.dumps(results, indent=1) + "\n")
    return results


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
