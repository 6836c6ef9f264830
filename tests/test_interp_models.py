"""The interpretability models and data: shapes, the shipped checkpoint's circuit, and TL patching agreement."""
import numpy as np
import pytest
import torch

from course_utils import checkpoints
from course_utils.data.induction_tasks import induction_patching_pair, repeated_random_tokens, repeated_segment_batch
from course_utils.data.lookback_tasks import lookback_answer_patching_pair, lookback_batch, lookback_patching_pair
from course_utils.models.attn_only import build_attn_only, load_attn_only, plain_attn_only
from course_utils.lessons.lesson10_mech_interp import reference as ref


def test_repeated_segment_batch_repeats_a_segment():
    tokens, mask = repeated_segment_batch(16, 32, 20, np.random.default_rng(0), min_len=3, max_len=10)
    assert tokens.shape == mask.shape == (16, 32)
    for row, row_mask in zip(tokens, mask):
        positions = np.flatnonzero(row_mask.numpy())
        assert 2 <= len(positions) <= 9 and np.all(np.diff(positions) == 1)


def test_induction_patching_pair_differs_in_one_token():
    clean, corrupted, query_pos, answers = induction_patching_pair(4, 6, 2, 30, seed=0)
    assert (clean != corrupted).sum(1).tolist() == [1] * 4
    assert torch.equal(clean[:, :6], clean[:, 6:]) and query_pos == 8
    assert torch.equal(answers, clean[:, 3])
    assert not any(int(corrupted[b, 2]) in clean[b].tolist() for b in range(4))


def test_plain_twin_matches_the_bridge():
    torch.manual_seed(0)
    plain = plain_attn_only(dict(n_ctx=16, d_vocab=20))
    bridge = build_attn_only(dict(n_ctx=16, d_vocab=20))
    bridge.load_state_dict(plain.state_dict())
    tokens = torch.randint(0, 20, (3, 12))
    with torch.no_grad():
        assert torch.allclose(plain(tokens), bridge(tokens), atol=1e-5)


@pytest.fixture(scope="module")
def model():
    return load_attn_only("induction_2l")[0]


def test_checkpoint_is_small_and_verified():
    info = checkpoints.verify("induction_2l")
    assert info["bytes"] < checkpoints.MAX_BYTES


def test_shipped_model_learns_induction(model):
    tokens = repeated_random_tokens(32, 20, model.cfg.d_vocab, seed=7)
    with torch.no_grad():
        losses = ref.per_token_loss(model(tokens), tokens)
    assert losses[:, :19].mean() > 3.9
    assert losses[:, 20:].mean() < 0.5 * losses[:, :19].mean()


def test_shipped_model_head_roles(model):
    tokens = repeated_random_tokens(32, 20, model.cfg.d_vocab, seed=8)
    _, cache = model.run_with_cache(tokens)
    previous = ref.previous_token_score(cache["blocks.0.attn.hook_pattern"])
    induction = ref.induction_score(cache["blocks.1.attn.hook_pattern"], 20)
    assert previous.max() > 0.5 and induction.max() > 0.5
    assert ref.induction_score(cache["blocks.0.attn.hook_pattern"], 20).max() < 0.2


def test_reference_patching_matches_transformer_lens(model):
    from transformer_lens import patching

    clean, corrupted, query_pos, answers = induction_patching_pair(4, 6, 2, model.cfg.d_vocab, seed=1)
    metric = ref.patching_metric(model, clean, corrupted, query_pos, answers)
    _, cache = model.run_with_cache(clean)
    assert torch.allclose(ref.residual_patching(model, clean, corrupted, metric),
                          patching.get_act_patch_resid_pre(model, corrupted, cache, metric), atol=1e-4)
    assert torch.allclose(ref.head_patching(model, clean, corrupted, metric),
                          patching.get_act_patch_attn_head_out_all_pos(model, corrupted, cache, metric), atol=1e-4)


def test_graph_model_and_acdc_recover_the_induction_circuit(model):
    from course_utils.lessons.lesson11_circuit_discovery import reference as acdc_ref

    torch.set_num_threads(1)
    clean = repeated_random_tokens(8, 20, model.cfg.d_vocab, seed=11)
    corrupted = repeated_random_tokens(8, 20, model.cfg.d_vocab, seed=12)
    graph = acdc_ref.GraphModel(model, clean, corrupted)
    with torch.no_grad():
        assert torch.allclose(graph.logits(graph.edges), model(clean), atol=1e-4)
        assert torch.allclose(graph.logits([]), model(corrupted), atol=1e-4)
    assert len(graph.edges) == 81

    def score(kept):
        return acdc_ref.kl_divergence(graph.clean_logits[:, 20:], graph.logits(kept)[:, 20:])

    truth = {("embed", "L0H1.v")}
    for head in range(4):
        truth |= {("L0H1", f"L1H{head}.k"), ("embed", f"L1H{head}.q"), ("embed", f"L1H{head}.v"),
                  (f"L1H{head}", "logits")}
    assert acdc_ref.acdc(graph.edges, score, 0.1) == truth


def test_lookback_batch_answers_are_the_token_before_the_earlier_copy():
    tokens, answers, match_pos = lookback_batch(32, 12, 20, np.random.default_rng(0))
    for row, answer, match in zip(tokens.tolist(), answers.tolist(), match_pos.tolist()):
        assert 1 <= match <= 10 and row[-1] == row[match] and answer == row[match - 1]
        assert len(set(row[:-1])) == 11            # distinct apart from the repeat: the answer is unambiguous
    with pytest.raises(ValueError, match="distinct"):
        lookback_batch(2, 12, 8, np.random.default_rng(0))


def test_lookback_patching_pair_keeps_positions_and_changes_tokens():
    clean, corrupted, answers, match_pos = lookback_patching_pair(8, 12, 30, seed=1)
    rows = torch.arange(8)
    assert torch.equal(clean[rows, -1], clean[rows, match_pos])
    assert torch.equal(corrupted[rows, -1], corrupted[rows, match_pos])
    assert torch.equal(answers, clean[rows, match_pos - 1]) and not torch.equal(clean, corrupted)


def test_shipped_lookback_model_composes_through_values():
    from course_utils.lessons.lesson11_circuit_discovery import reference as acdc_ref

    torch.set_num_threads(1)
    model, info = load_attn_only("lookback_2l")
    assert info["bytes"] < checkpoints.MAX_BYTES and info["accuracy"] > 0.99
    tokens, answers, match_pos = lookback_batch(64, 24, 64, np.random.default_rng(5))
    logits, cache = model.run_with_cache(tokens)
    assert (logits[:, -1].argmax(-1) == answers).float().mean() > 0.99
    assert ref.previous_token_score(cache["blocks.0.attn.hook_pattern"]).max() > 0.5
    assert cache["blocks.1.attn.hook_pattern"][torch.arange(64), :, -1, match_pos].mean(0).max() > 0.9
    clean, corrupted, _, _ = lookback_patching_pair(16, 24, 64, seed=11)
    graph = acdc_ref.GraphModel(model, clean, corrupted)

    def score(kept):
        return acdc_ref.kl_divergence(graph.clean_logits[:, -1:], graph.logits(kept)[:, -1:])

    found = acdc_ref.acdc(graph.edges, score, 0.1)
    between = [r for s, r in found if s.startswith("L0") and r.startswith("L1")]
    assert between and all(r.endswith(".v") for r in between)


def test_lookback_answer_patching_pair_changes_only_the_answer():
    clean, corrupted, query_pos, answers = lookback_answer_patching_pair(6, 12, 30, 5, seed=2)
    assert query_pos == 11 and (clean != corrupted).sum(1).tolist() == [1] * 6
    assert torch.equal(clean[:, -1], clean[:, 5]) and torch.equal(answers, clean[:, 4])
    assert not any(int(corrupted[b, 4]) in clean[b].tolist() for b in range(6))
    with pytest.raises(ValueError, match="match_pos"):
        lookback_answer_patching_pair(2, 12, 30, 0)
