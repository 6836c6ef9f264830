"""The ``tinygpt_cka`` recipe's shipped checkpoint: a second-seed TinyGPT and a finetuned TinyGPT (lesson 09)."""
import numpy as np
import torch

from course_utils import checkpoints
from course_utils.train import all_recipes


def test_checkpoint_metadata_hash_and_size():
    info = checkpoints.verify("tinygpt_cka")
    for key in ("seed1", "finetuned", "model_config", "alphabet", "seed1_validation_loss", "sha256"):
        assert key in info
    assert info["bytes"] < 5 * 1024 * 1024
    assert info["seed1"]["seed"] == 1 and info["finetuned"]["story_type"] == "dialogue"
    assert all_recipes()["tinygpt_cka"].metric == "seed1_validation_loss"
    # the second seed is about as good as the shipped model; finetuning trades the corpus for dialogue
    assert abs(info["seed1_validation_loss"] - checkpoints.metadata("tinygpt")["validation_loss"]) < 0.05
    assert info["finetuned_dialogue_validation_loss"] < info["pretrained_dialogue_validation_loss"]


def test_variants_load_and_reproduce_their_losses():
    from course_utils.models.tinygpt import char_tokenizer
    from course_utils.train.tinygpt import encoded_corpus, validation_loss
    from course_utils.train.tinygpt_cka import finetune_slice, load_variants

    info = checkpoints.metadata("tinygpt_cka")
    models = load_variants()
    assert set(models) == {"seed0", "seed1", "finetuned"}
    assert not any(p.requires_grad for model in models.values() for p in model.parameters())
    val_ids = encoded_corpus("validation", char_tokenizer())
    assert abs(validation_loss(models["seed1"], val_ids) - info["seed1_validation_loss"]) < 1e-3
    assert abs(validation_loss(models["finetuned"], finetune_slice("validation"))
               - info["finetuned_dialogue_validation_loss"]) < 1e-3
    # three different models
    weights = [torch.cat([p.flatten() for p in model.parameters()]) for model in models.values()]
    assert all(not torch.equal(weights[i], weights[j]) for i in range(3) for j in range(i + 1, 3))
    assert np.isfinite(float(weights[1].norm()))
