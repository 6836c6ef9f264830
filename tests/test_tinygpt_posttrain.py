"""The post-training recipe of lesson 05: its data, its log-probabilities and its shipped checkpoint."""
import torch
from torch.nn import functional as F

from course_utils import checkpoints
from course_utils.models.tinygpt import load_tinygpt
from course_utils.train import all_recipes
from course_utils.train import tinygpt_posttrain as posttrain


def test_checkpoint_metadata_hash_size_and_recipe():
    info = checkpoints.verify("tinygpt_posttrain")
    assert info["bytes"] < checkpoints.MAX_BYTES
    assert info["base_sha256"] == checkpoints.metadata("tinygpt")["sha256"]
    assert all_recipes()["tinygpt_posttrain"].metric == "positive_dpo"
    # the before/after the lesson teaches: SFT fits the demonstrations, DPO raises happy endings at a small cost
    assert info["demo_nll_sft"] < info["demo_nll_pretrained"] / 2
    assert info["positive_sft"] < 0.6 < 0.8 < info["positive_dpo"]
    assert info["story_nll_sft"] < info["story_nll_dpo"] < info["story_nll_sft"] + 1.5
    assert info["overtrained_dpo"]["story_nll"] > 3 * info["story_nll_sft"]


def test_data_is_seeded_and_pairs_differ_only_in_the_ending():
    assert posttrain.preference_pairs() == posttrain.preference_pairs()
    for prompt, chosen, rejected in posttrain.preference_pairs(n=20):
        name = prompt[len("Tell me about "):-2]
        assert prompt == f"Tell me about {name}!\n" and f"{name} was " in chosen
        head, _, chosen_word = chosen[:-2].rpartition(" ")
        assert rejected == f"{head} {rejected[:-2].rpartition(' ')[2]}.\n"
        assert chosen_word in posttrain.CHOSEN_FEELINGS
        assert rejected[:-2].rpartition(" ")[2] in posttrain.REJECTED_FEELINGS
    for prompt, response in posttrain.demonstrations(n=20):
        assert len(prompt + response) <= 129 and response.endswith(".\n")


def test_sequence_logprobs_score_only_the_response():
    model, tokenizer, _ = load_tinygpt()
    prompts, responses = ["Tell me about Anna!\n", "Hi\n"], ["Anna was glad.\n", "It was a cold day."]
    with torch.no_grad():
        got = posttrain.sequence_logprobs(model, tokenizer, prompts, responses)
        for value, prompt, response in zip(got, prompts, responses):
            ids = torch.tensor(tokenizer.encode(prompt + response))
            logprobs = F.log_softmax(model(ids[:-1]), dim=-1)[torch.arange(len(ids) - 1), ids[1:]]
            assert torch.allclose(value, logprobs[len(tokenizer.encode(prompt)) - 1:].sum(), atol=1e-4)


def test_shipped_models_reproduce_their_metrics():
    sft, dpo, info = posttrain.load_posttrained()
    _, tokenizer, _ = load_tinygpt()
    openings = posttrain.story_openings()
    assert abs(posttrain.positive_ending_probability(sft, tokenizer, openings) - info["positive_sft"]) < 1e-3
    assert abs(posttrain.positive_ending_probability(dpo, tokenizer, openings) - info["positive_dpo"]) < 1e-3
