"""Recipe ``tinygpt_cka``: two more TinyGPTs for lesson 09's language-model CKA comparisons.

``course train tinygpt_cka`` writes ``course_utils/checkpoints/tinygpt_cka.pt``, one state dict holding

* ``seed1.*``: a TinyGPT trained exactly like the shipped ``tinygpt`` (same data, config, steps and
  schedule) except for its seed (1 instead of 0: another initialisation and another batch order);
* ``finetuned.*``: the shipped ``tinygpt`` finetuned on a different text slice, dialogue stories only
  (the slice and settings of :func:`course_utils.train.tinygpt.finetune_experiment`).

Lesson 09 only loads them (:func:`load_variants`): training takes about a minute and a half on one core
(it runs on one torch thread, and restores the caller's thread count afterwards).
"""
import time

import numpy as np

from . import recipe
from .tinygpt import BATCH, LR, MODEL_CONFIG, STEPS, WEIGHT_DECAY, encoded_corpus, train_tinygpt, validation_loss

SECOND_SEED = 1
FINETUNE = dict(story_type="dialogue", n_stories=400, slice_seed=1, steps=150, lr=1e-3, seed=0)
PARTS = ("seed1", "finetuned")


def finetune_slice(split):
    """The finetuning text (dialogue stories) as character ids: ``split`` is "train" or "validation"."""
    from ..models.tinygpt import char_tokenizer

    return encoded_corpus(split, char_tokenizer(), n_stories=FINETUNE["n_stories"], seed=FINETUNE["slice_seed"],
                          story_type=FINETUNE["story_type"])


@recipe("tinygpt_cka", description="TinyGPT from a second seed, and TinyGPT finetuned on dialogue (lesson 09)",
        metric="seed1_validation_loss", tolerance=0.05)
def build(directory, steps=STEPS, finetune_steps=FINETUNE["steps"]):
    import torch  # noqa: F401  (loaded first: one_thread acts only on a loaded torch)

    from ..threads import one_thread

    with one_thread():      # tiny matrices: one thread is fastest, and the shipped weights were made with one
        return _build(directory, steps, finetune_steps)


def _build(directory, steps, finetune_steps):
    import torch

    from ..checkpoints import save_checkpoint
    from ..models.tinygpt import char_tokenizer, load_tinygpt

    start, cpu_start = time.time(), time.process_time()
    tokenizer = char_tokenizer()
    train_ids, val_ids = encoded_corpus("train", tokenizer), encoded_corpus("validation", tokenizer)
    seed1, history = train_tinygpt(train_ids, steps=steps, seed=SECOND_SEED, desc="TinyGPT seed 1")

    pretrained, _, _ = load_tinygpt()
    slice_train, slice_val = finetune_slice("train"), finetune_slice("validation")
    init = {key: value.clone() for key, value in pretrained.state_dict().items()}
    finetuned, _ = train_tinygpt(slice_train, pretrained.config, steps=finetune_steps, lr=FINETUNE["lr"],
                                 seed=FINETUNE["seed"], init_state=init, desc="TinyGPT finetuned on dialogue")

    state = {}
    for part, model in zip(PARTS, (seed1, finetuned)):
        state.update({f"{part}.{key}": value.detach().clone() for key, value in model.state_dict().items()})
    info = dict(seed1=dict(seed=SECOND_SEED, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY,
                           optimizer="AdamW, one-cycle", data="the shipped tinygpt's corpus (its data_recipe)"),
                finetuned=dict(FINETUNE, steps=finetune_steps, start="the shipped tinygpt checkpoint",
                               optimizer="AdamW, one-cycle"),
                model_config=dict(MODEL_CONFIG, vocab_size=len(tokenizer.vocab)), alphabet="".join(tokenizer.vocab),
                seed1_final_train_loss=round(float(np.mean(history["train"][-50:])), 4),
                seed1_validation_loss=round(validation_loss(seed1, val_ids), 4),
                pretrained_validation_loss=round(validation_loss(pretrained, val_ids), 4),
                finetuned_validation_loss=round(validation_loss(finetuned, val_ids), 4),
                pretrained_dialogue_validation_loss=round(validation_loss(pretrained, slice_val), 4),
                finetuned_dialogue_validation_loss=round(validation_loss(finetuned, slice_val), 4),
                train_seconds=round(time.time() - start, 1),
                train_cpu_seconds=round(time.process_time() - cpu_start, 1), torch_threads=torch.get_num_threads(),
                torch_version=torch.__version__.split("+")[0])
    return save_checkpoint("tinygpt_cka", state, info, directory=directory)


def load_variants():
    """``{"seed0": ..., "seed1": ..., "finetuned": ...}``: the shipped TinyGPT and this recipe's two models.

    Every model is in eval mode with frozen parameters, like :func:`course_utils.models.tinygpt.load_tinygpt`.
    """
    from ..checkpoints import load_checkpoint
    from ..models.tinygpt import TinyGPT, TinyGPTConfig, load_tinygpt

    seed0, _, _ = load_tinygpt()
    state, info = load_checkpoint("tinygpt_cka")
    models = {"seed0": seed0}
    for part in PARTS:
        model = TinyGPT(TinyGPTConfig.from_dict(info["model_config"]))
        prefix = f"{part}."
        model.load_state_dict({key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)})
        model.eval()
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        models[part] = model
    return models
