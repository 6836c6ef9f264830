"""Unit tests for the story corpus, the tokenizers, the TinyGPT model and its shipped checkpoint."""
import json

import pytest
import torch
from torch.nn import functional as F

from course_utils import checkpoints
from course_utils.data import stories
from course_utils.models.tinygpt import TinyGPT, TinyGPTConfig, load_tinygpt, sample_from_logits
from course_utils.lessons.lesson05_llm_basics import reference as ref
from course_utils.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer, train_bpe
from course_utils.train import all_recipes
from course_utils.train.tinygpt import FINETUNE_RESULTS, SCALING_RESULTS


# --- corpus --------------------------------------------------------------------------------------

def test_stories_are_seeded_and_typed():
    assert stories.generate_stories(20, seed=3) == stories.generate_stories(20, seed=3)
    assert stories.generate_stories(20, seed=3) != stories.generate_stories(20, seed=4)
    for story_type in stories.STORY_TYPES:
        assert len(stories.generate_stories(5, seed=0, story_type=story_type)) == 5
    gifts = stories.generate_stories(10, seed=0, story_type="gift")
    assert all(" gave the " in story for story in gifts)
    with pytest.raises(ValueError):
        stories.generate_stories(1, story_type="poem")


def test_corpus_splits_are_disjoint_and_use_the_alphabet():
    small = dict(n_stories=200, seed=5)
    train, validation = stories.corpus("train", **small), stories.corpus("validation", **small)
    assert train.count("\n") == 180 and validation.count("\n") == 20
    assert set(train) | set(validation) <= set(stories.alphabet())
    assert all(name[0].isupper() for name in stories.NAMES)
    assert len({name[0] for name in stories.NAMES}) == len(stories.NAMES)   # one first letter per name


def test_indirect_object_task_answers_are_right():
    for item in stories.indirect_object_task(50, seed=2):
        a, b = item["names"]
        assert {item["answer"].strip(), item["subject"].strip()} == {a, b}
        assert item["prompt"].endswith(" to")
        assert item["prompt"].count(item["subject"].strip()) == 2
        assert item["prompt"].count(item["answer"].strip()) == 1
    assert stories.indirect_object_task(5, seed=2) == stories.indirect_object_task(5, seed=2)


def test_repeated_name_task_answers_are_right():
    for item in stories.repeated_name_task(50, seed=1):
        counts = {name: item["text"].count(name) for name in item["names"]}
        assert counts[item["answer"]] == 2 and sorted(counts.values()) == [1, 1, 2]


# --- tokenizers -----------------------------------------------------------------------------------

TEXT = stories.corpus("validation", n_stories=60, seed=9)


@pytest.mark.parametrize("make", [lambda: CharTokenizer(stories.alphabet()), lambda: WordTokenizer(TEXT),
                                  lambda: BPETokenizer.train(TEXT, 60, alphabet=stories.alphabet())])
def test_tokenizers_round_trip(make):
    tokenizer = make()
    ids = tokenizer.encode(TEXT)
    assert tokenizer.decode(ids) == TEXT
    assert all(0 <= i < len(tokenizer) for i in ids)


def test_bpe_shortens_text_and_breaks_ties_by_smallest_pair():
    tokenizer = BPETokenizer.train(TEXT, 60, alphabet=stories.alphabet())
    assert len(tokenizer.encode(TEXT)) < 0.6 * len(TEXT)
    assert train_bpe("abcd abcd", 1) == [("a", "b")]          # ('a','b'), ('b','c'), ('c','d') tie at 2
    assert train_bpe("xyz", 3) == []                           # no pair repeats


def test_word_tokenizer_maps_unseen_words_to_unk():
    tokenizer = WordTokenizer("the cat sat")
    assert tokenizer.decode(tokenizer.encode("the dog sat")) == "the <unk> sat"


def test_char_tokenizer_names_unknown_characters():
    with pytest.raises(ValueError, match="not in the tokenizer's alphabet"):
        CharTokenizer("abc").encode("abz")


# --- model ----------------------------------------------------------------------------------------

def small_model(seed=0):
    return TinyGPT(TinyGPTConfig(vocab_size=13, n_ctx=10, d_model=16, n_heads=4, n_layers=2, d_mlp=24), seed=seed)


def test_model_shapes_seed_and_causality():
    model = small_model()
    tokens = torch.randint(0, 13, (3, 10), generator=torch.Generator().manual_seed(0))
    logits = model(tokens)
    assert logits.shape == (3, 10, 13)
    assert torch.equal(small_model()(tokens), logits)                     # initialisation is seeded
    changed = tokens.clone()
    changed[:, 6] = (changed[:, 6] + 1) % 13
    assert torch.allclose(model(changed)[:, :6], logits[:, :6], atol=1e-6)   # no peeking at the future
    assert model(tokens[0]).shape == (10, 13)                              # a 1-D input works too
    with pytest.raises(ValueError, match="n_ctx"):
        model(torch.zeros(1, 11, dtype=torch.long))


def test_model_matches_the_lesson_parts_and_torch_attention():
    model = small_model(1)
    tokens = torch.randint(0, 13, (2, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(ref.gpt_forward(model, tokens), model(tokens), atol=1e-5)
        x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(2))
        attn = model.blocks[0].attn
        assert torch.allclose(attn(x), ref.multi_head_attention(x, attn.W_Q, attn.W_K, attn.W_V, attn.W_O, 4), atol=1e-6)
        q, k, v = torch.randn(3, 2, 4, 5, 8, generator=torch.Generator().manual_seed(3))
        assert torch.allclose(ref.causal_attention(q, k, v)[0], F.scaled_dot_product_attention(q, k, v, is_causal=True),
                              atol=1e-6)


def test_run_with_cache_and_hooks():
    model = small_model()
    tokens = torch.randint(0, 13, (2, 6), generator=torch.Generator().manual_seed(0))
    logits, cache = model.run_with_cache(tokens)
    assert torch.allclose(logits, model(tokens))
    assert cache["blocks.0.attn.hook_pattern"].shape == (2, 4, 6, 6)
    assert cache["blocks.1.mlp.hook_post"].shape == (2, 6, 24)
    assert torch.allclose(cache["ln_final.hook_normalized"] @ model.W_U, logits, atol=1e-6)
    assert torch.allclose(cache["blocks.0.hook_resid_mid"],
                          cache["blocks.0.hook_resid_pre"] + cache["blocks.0.hook_attn_out"], atol=1e-6)
    _, only = model.run_with_cache(tokens, names=["blocks.0.hook_resid_pre"])
    assert list(only) == ["blocks.0.hook_resid_pre"]
    with pytest.raises(KeyError):
        model.run_with_cache(tokens, names=["blocks.9.nothing"])
    # a forward hook that zeroes an MLP's neurons changes the output (patching works)
    handle = model.blocks[1].mlp.hook_post.register_forward_hook(lambda m, i, out: out * 0)
    assert not torch.allclose(model(tokens), logits)
    handle.remove()


def test_sampling_is_seeded_and_greedy_at_zero_temperature():
    logits = torch.tensor([0.1, 2.0, -1.0, 1.9])
    assert sample_from_logits(logits, 0) == 1
    draws = [sample_from_logits(logits, 1.0, 2, torch.Generator().manual_seed(i)) for i in range(40)]
    assert set(draws) == {1, 3}
    assert draws == [ref.sample_token(logits, 1.0, 2, torch.Generator().manual_seed(i)) for i in range(40)]


# --- shipped checkpoint and results ---------------------------------------------------------------

def test_checkpoint_metadata_hash_and_size():
    info = checkpoints.verify("tinygpt")
    for key in ("seed", "data_recipe", "validation_loss", "sha256", "model_config", "alphabet", "steps"):
        assert key in info
    assert info["bytes"] < 5 * 1024 * 1024
    assert info["validation_loss"] < 0.5
    assert all_recipes()["tinygpt"].metric == "validation_loss"


def test_checkpoint_reproduces_its_validation_loss():
    from course_utils.train.tinygpt import encoded_corpus, validation_loss

    model, tokenizer, info = load_tinygpt()
    loss = validation_loss(model, encoded_corpus("validation", tokenizer))
    assert abs(loss - info["validation_loss"]) < 1e-3


def test_shipped_experiment_results_are_complete():
    scaling = json.loads(SCALING_RESULTS.read_text())
    assert len(scaling["rows"]) >= 4
    sizes = [row["non_embedding_parameters"] for row in scaling["rows"]]
    assert sizes == sorted(sizes)
    finetune = json.loads(FINETUNE_RESULTS.read_text())
    for key in ("pretrained", "finetuned", "scratch"):
        assert "slice_val" in finetune[key]
    assert finetune["finetuned"]["slice_val"] < finetune["scratch"]["slice_val"]
