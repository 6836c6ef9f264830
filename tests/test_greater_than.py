"""The greater-than task, its model and its recipe (lesson 11)."""
import numpy as np
import torch

from course_utils import checkpoints
from course_utils.data import greater_than as gt
from course_utils.models.greater_than import build_greater_than, load_greater_than
from course_utils.train import all_recipes


def test_prompts_follow_the_template_and_the_number_tokens_are_their_values():
    tokens, yy = gt.greater_than_batch(16, np.random.default_rng(0))
    assert tokens.shape == (16, gt.SEQ_LEN) and tokens.dtype == torch.int64
    assert torch.equal(tokens[:, gt.YY_POSITION], yy) and bool(((yy >= 2) & (yy <= 98)).all())
    assert torch.equal(tokens[:, 6], tokens[:, -1])                       # the century is repeated at the end
    assert gt.decode(gt.prompt_tokens("war", 17, 32)) == "The war lasted from the year 1732 to the year 17"
    corrupted = gt.corrupt(tokens)
    assert bool((corrupted[:, gt.YY_POSITION] == 1).all())
    assert torch.equal(corrupted[:, :gt.YY_POSITION], tokens[:, :gt.YY_POSITION])
    assert torch.equal(corrupted[:, gt.YY_POSITION + 1:], tokens[:, gt.YY_POSITION + 1:])


def test_probability_difference_and_target():
    yy = torch.tensor([10, 50])
    target = gt.target_distribution(yy)
    assert torch.allclose(target.sum(-1), torch.ones(2)) and float(target[0, :11].sum()) == 0.0
    perfect = torch.log(target + 1e-12)
    assert torch.allclose(gt.probability_difference(perfect, yy, per_prompt=True), torch.ones(2), atol=1e-6)
    uniform = torch.zeros(2, gt.D_VOCAB)
    uniform[:, 100:] = -1e9
    expected = torch.tensor([(89 - 11) / 100, (49 - 51) / 100])
    assert torch.allclose(gt.probability_difference(uniform, yy, per_prompt=True), expected, atol=1e-6)


def test_model_forward_matches_its_attention_and_mlp_parts():
    model = build_greater_than(dict(n_layers=2, n_heads=2, d_model=8, d_head=4, d_mlp=16, n_ctx=5, d_vocab=7), seed=1)
    tokens = torch.randint(0, 7, (3, 5), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits, patterns = model.run_with_patterns(tokens)
    assert logits.shape == (3, 5, 7) and len(patterns) == 2 and patterns[0].shape == (3, 2, 5, 5)
    assert torch.allclose(patterns[1].sum(-1), torch.ones(3, 2, 5)) and float(patterns[0][..., 0, 1:].abs().max()) == 0


def test_shipped_greater_than_model_does_the_task():
    torch.set_num_threads(1)
    model, info = load_greater_than()
    assert info["bytes"] < checkpoints.MAX_BYTES and info["probability_difference"] > 0.99
    assert "greater_than" in all_recipes() and all_recipes()["greater_than"].metric == "probability_difference"
    tokens, yy = gt.greater_than_batch(64, np.random.default_rng(3))
    with torch.no_grad():
        assert float(gt.probability_difference(model(tokens), yy)) > 0.99
        assert abs(float(gt.probability_difference(model(gt.corrupt(tokens)), yy))) < 0.1


def test_recipe_is_reproducible_on_a_short_run():
    from course_utils.train import greater_than as recipe

    first, history = recipe.train(steps=3, progress=False)
    second, _ = recipe.train(steps=3, progress=False)
    assert len(history) == 3
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))


def test_lesson11_graph_model_with_every_edge_kept_is_the_model():
    """GraphModel (lesson 11) re-implements this forward pass edge by edge: with every edge kept it gives the
    model's own logits, and with none kept the corrupted run's."""
    from course_utils.lessons.lesson11_circuit_discovery.reference import GraphModel

    model = build_greater_than(dict(n_layers=2, n_heads=2, d_model=8, d_head=4, d_mlp=16, n_ctx=5, d_vocab=7), seed=2)
    generator = torch.Generator().manual_seed(1)
    clean, corrupted = (torch.randint(0, 7, (3, 5), generator=generator) for _ in range(2))
    graph = GraphModel(model, clean, corrupted)
    assert graph.mlps and len(graph.edges) == len(set(graph.edges))
    with torch.no_grad():
        assert torch.allclose(graph.logits(graph.edges), model(clean), atol=1e-5)
        assert torch.allclose(graph.logits([]), model(corrupted), atol=1e-5)
