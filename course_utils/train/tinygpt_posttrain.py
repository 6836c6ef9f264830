"""Recipe ``tinygpt_posttrain``: post-training in miniature on the shipped TinyGPT (lesson 05).

The pipeline of "Training language models to follow instructions with human
feedback" (Ouyang et al., 2022), shrunk to the story world, with the final
step done by "Direct Preference Optimization: Your Language Model is Secretly a
Reward Model" (Rafailov et al., 2023) instead of reinforcement learning:

1. **Supervised finetuning (SFT)** on demonstrations: a request such as
   ``Tell me about Anna!`` on its own line, then a story about Anna (the
   corpus's weather and meeting stories, which end "Anna was <feeling>.").
   The loss counts only the response's characters, not the request's.
2. **A reward model** from pairwise comparisons: the same story ending happily
   (happy, glad, proud) is preferred to it ending unhappily (sad, tired). A
   linear head on the SFT model's mean final-layer features is trained with
   the Bradley-Terry loss ``-log sigmoid(r_chosen - r_rejected)``; it trains in
   well under a second, so lesson 05 trains it live.
3. **DPO** on the same comparisons, from the SFT model, with the SFT model as
   the frozen reference. A second DPO run, five times the learning rate for 60
   steps, is kept only as numbers (``overtrained_dpo``): it shows what pushing
   too far does to the rest of the text.

``course train tinygpt_posttrain`` rebuilds ``course_utils/checkpoints/tinygpt_posttrain.pt``
(the SFT and DPO weights, about 1 MB) and records the before/after numbers in
its metadata. Every data set here is generated from a fixed seed.
"""
import time

import numpy as np

from . import recipe
from ..threads import one_thread

PROMPT = "Tell me about {name}!\n"
STORY_TYPES = ("weather", "meeting")     # short stories (under 80 characters) that end "<name> was <feeling>."
CHOSEN_FEELINGS = ("happy", "glad", "proud")
REJECTED_FEELINGS = ("sad", "tired")
SEED = 0
N_DEMOS, N_PAIRS, N_HELD_OUT = 256, 256, 64
DEMO_SEED, PAIR_SEED, HELD_OUT_SEED = 1, 2, 3
BATCH = 16
SFT_STEPS, SFT_LR = 100, 1e-3
DPO_STEPS, DPO_LR, BETA = 40, 2e-5, 0.5
OVERTRAINED_STEPS, OVERTRAINED_LR = 60, 1e-4     # a run pushed too far, kept only as numbers


# --- data ---------------------------------------------------------------------------------------

def _stories(seed, n):
    """``n`` (prompt, story without its last word and period, hero, feeling) from the grammar."""
    from ..data.stories import generate_stories

    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        story = generate_stories(1, seed=int(rng.integers(2**31)), story_type=STORY_TYPES[i % len(STORY_TYPES)])[0]
        head, _, feeling = story[:-1].rpartition(" ")
        hero = head.split(" ")[-2]                     # "... Anna was" -> "Anna"
        items.append((PROMPT.format(name=hero), head + " ", hero, feeling))
    return items


def demonstrations(seed=DEMO_SEED, n=N_DEMOS):
    """``n`` (prompt, response) pairs: a request, then a story about that character ending in a newline."""
    return [(prompt, f"{head}{feeling}.\n") for prompt, head, _, feeling in _stories(seed, n)]


def preference_pairs(seed=PAIR_SEED, n=N_PAIRS):
    """``n`` (prompt, chosen, rejected): one story, ending happily (chosen) or unhappily (rejected)."""
    rng = np.random.default_rng(seed + 1000)
    pairs = []
    for prompt, head, _, _ in _stories(seed, n):
        chosen = CHOSEN_FEELINGS[int(rng.integers(len(CHOSEN_FEELINGS)))]
        rejected = REJECTED_FEELINGS[int(rng.integers(len(REJECTED_FEELINGS)))]
        pairs.append((prompt, f"{head}{chosen}.\n", f"{head}{rejected}.\n"))
    return pairs


def story_openings(seed=HELD_OUT_SEED, n=N_HELD_OUT):
    """Held-out (prompt, story up to "... <name> was ") pairs: where the model chooses the feeling."""
    return [(prompt, head) for prompt, head, _, _ in _stories(seed, n)]


# --- scoring ------------------------------------------------------------------------------------

def _batch(tokenizer, prompts, responses):
    """Right-padded token ids (N, L) and a mask (N, L - 1) of the positions that predict a response token."""
    import torch

    sequences = [tokenizer.encode(p + r) for p, r in zip(prompts, responses)]
    length = max(map(len, sequences))
    ids = torch.zeros(len(sequences), length, dtype=torch.long)
    mask = torch.zeros(len(sequences), length - 1)
    for i, (prompt, sequence) in enumerate(zip(prompts, sequences)):
        ids[i, :len(sequence)] = torch.tensor(sequence)
        mask[i, len(tokenizer.encode(prompt)) - 1:len(sequence) - 1] = 1.0
    return ids, mask


def sequence_logprobs(model, tokenizer, prompts, responses):
    """log π(response | prompt) for each pair: the sum of the response characters' log-probabilities, (N,)."""
    import torch

    ids, mask = _batch(tokenizer, prompts, responses)
    logprobs = torch.log_softmax(model(ids[:, :-1]), dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    return (logprobs * mask).sum(-1)


def response_features(model, tokenizer, prompts, responses):
    """The reward model's input: the mean of the final LayerNorm's output over each response's positions."""
    import torch

    ids, mask = _batch(tokenizer, prompts, responses)
    _, cache = model.run_with_cache(ids, names=["ln_final.hook_normalized"])
    features = cache["ln_final.hook_normalized"]
    # position t's features sit on the token at t; the response tokens are the mask shifted by one
    weights = torch.cat([torch.zeros(len(ids), 1), mask], dim=1)
    return (features * weights[..., None]).sum(1) / weights.sum(1, keepdim=True)


def positive_ending_probability(model, tokenizer, openings):
    """Mean probability of a happy ending (the first letter of happy, glad or proud) after "... <name> was "."""
    import torch

    letters = [tokenizer.encode(word[0])[0] for word in CHOSEN_FEELINGS]
    ids, _ = _batch(tokenizer, [p for p, _ in openings], [h for _, h in openings])
    lengths = [len(tokenizer.encode(p + h)) for p, h in openings]
    with torch.no_grad():
        logits = model(ids)
    probs = torch.softmax(logits[torch.arange(len(ids)), torch.tensor(lengths) - 1], dim=-1)
    return float(probs[:, letters].sum(-1).mean())


def mean_nll(model, tokenizer, pairs):
    """Mean negative log-likelihood (nats) of each response given its prompt."""
    import torch

    with torch.no_grad():
        return float(-sequence_logprobs(model, tokenizer, [p for p, _ in pairs], [r for _, r in pairs]).mean())


# --- training -----------------------------------------------------------------------------------

def _copy(model):
    from ..models.tinygpt import TinyGPT

    copy = TinyGPT(model.config)
    copy.load_state_dict(model.state_dict())
    return copy


def train_reward_head(features_chosen, features_rejected, loss_fn, steps=200, lr=0.05):
    """A linear reward r = features @ w trained with ``loss_fn(r_chosen, r_rejected)`` (Adam, from w = 0)."""
    import torch

    w = torch.zeros(features_chosen.shape[-1], dtype=features_chosen.dtype, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=lr)
    for _ in range(steps):
        loss = loss_fn(features_chosen @ w, features_rejected @ w)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return w.detach()


def train_sft(model, tokenizer, demos, steps=SFT_STEPS, lr=SFT_LR, batch=BATCH, seed=SEED, progress=True):
    """A copy of ``model`` finetuned on the demonstrations: mean response log-likelihood, AdamW."""
    import torch
    from tqdm.auto import tqdm

    policy = _copy(model).train()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(steps), desc="SFT", disable=not progress):
        idx = torch.randint(0, len(demos), (batch,), generator=generator).tolist()
        loss = -sequence_logprobs(policy, tokenizer, [demos[i][0] for i in idx], [demos[i][1] for i in idx]).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return policy.eval()


def train_dpo(reference, tokenizer, pairs, loss_fn, steps=DPO_STEPS, lr=DPO_LR, beta=BETA, batch=BATCH, seed=SEED,
              progress=True):
    """A copy of ``reference`` trained with ``loss_fn(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)``.

    Returns ``(policy, losses)``; ``reference`` itself is not changed.
    """
    import torch
    from tqdm.auto import tqdm

    policy = _copy(reference).train()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in tqdm(range(steps), desc="DPO", disable=not progress):
        idx = torch.randint(0, len(pairs), (batch,), generator=generator).tolist()
        prompts, chosen, rejected = ([pairs[i][j] for i in idx] for j in range(3))
        with torch.no_grad():
            ref_chosen = sequence_logprobs(reference, tokenizer, prompts, chosen)
            ref_rejected = sequence_logprobs(reference, tokenizer, prompts, rejected)
        loss = loss_fn(sequence_logprobs(policy, tokenizer, prompts, chosen),
                       sequence_logprobs(policy, tokenizer, prompts, rejected), ref_chosen, ref_rejected, beta)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return policy.eval(), losses


def evaluate(pretrained, sft, dpo, tokenizer):
    """The before/after numbers the lesson asserts (all on held-out data)."""
    held_demos = demonstrations(HELD_OUT_SEED, N_HELD_OUT)
    openings = story_openings()     # (prompt, the story up to its final feeling): the story NLLs score this text,
                                    # how much DPO changed besides the ending
    return dict(
        demo_nll_pretrained=mean_nll(pretrained, tokenizer, held_demos),
        demo_nll_sft=mean_nll(sft, tokenizer, held_demos),
        positive_pretrained=positive_ending_probability(pretrained, tokenizer, openings),
        positive_sft=positive_ending_probability(sft, tokenizer, openings),
        positive_dpo=positive_ending_probability(dpo, tokenizer, openings),
        story_nll_sft=mean_nll(sft, tokenizer, openings),
        story_nll_dpo=mean_nll(dpo, tokenizer, openings),
    )


def load_posttrained():
    """``(sft, dpo, info)``: the shipped SFT and DPO TinyGPTs (eval mode, frozen) and their metadata."""
    from ..checkpoints import load_checkpoint
    from ..models.tinygpt import TinyGPT, TinyGPTConfig

    state, info = load_checkpoint("tinygpt_posttrain")
    models = []
    for prefix in ("sft.", "dpo."):
        model = TinyGPT(TinyGPTConfig.from_dict(info["model_config"]))
        model.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
        models.append(model.eval().requires_grad_(False))
    return models[0], models[1], info


@recipe("tinygpt_posttrain", description="SFT and DPO of the shipped TinyGPT on story requests (lesson 05)",
        metric="positive_dpo", tolerance=0.05)
def build(directory, progress=True):
    import torch

    from ..checkpoints import save_checkpoint
    from ..lessons.lesson05_llm_basics.reference import dpo_loss
    from ..models.tinygpt import load_tinygpt

    start = time.time()
    with one_thread():
        torch.manual_seed(SEED)
        pretrained, tokenizer, base_info = load_tinygpt()
        sft = train_sft(pretrained, tokenizer, demonstrations(), progress=progress)
        dpo, losses = train_dpo(sft, tokenizer, preference_pairs(), dpo_loss, progress=progress)
        metrics = {key: round(value, 4) for key, value in evaluate(pretrained, sft, dpo, tokenizer).items()}
        pushed, _ = train_dpo(sft, tokenizer, preference_pairs(), dpo_loss, steps=OVERTRAINED_STEPS,
                              lr=OVERTRAINED_LR, progress=progress)
        openings = story_openings()
        overtrained = dict(steps=OVERTRAINED_STEPS, lr=OVERTRAINED_LR, beta=BETA,
                           positive=round(positive_ending_probability(pushed, tokenizer, openings), 4),
                           story_nll=round(mean_nll(pushed, tokenizer, openings), 4))
    info = dict(seed=SEED, base_checkpoint="tinygpt", base_sha256=base_info["sha256"],
                model_config=pretrained.config.to_dict(), prompt=PROMPT, story_types=list(STORY_TYPES),
                chosen_feelings=list(CHOSEN_FEELINGS), rejected_feelings=list(REJECTED_FEELINGS),
                data_recipe=dict(n_demos=N_DEMOS, demo_seed=DEMO_SEED, n_pairs=N_PAIRS, pair_seed=PAIR_SEED,
                                 n_held_out=N_HELD_OUT, held_out_seed=HELD_OUT_SEED,
                                 generator="course_utils.train.tinygpt_posttrain"),
                sft=dict(steps=SFT_STEPS, lr=SFT_LR, batch=BATCH, optimizer="AdamW, no weight decay"),
                dpo=dict(steps=DPO_STEPS, lr=DPO_LR, beta=BETA, batch=BATCH, optimizer="AdamW, no weight decay",
                         first_loss=round(losses[0], 4), last_loss=round(float(np.mean(losses[-10:])), 4)),
                overtrained_dpo=overtrained, train_seconds=round(time.time() - start, 1), torch_version=torch.__version__.split("+")[0],
                **metrics)
    state = {f"{prefix}.{key}": value.detach().clone()
             for prefix, model in (("sft", sft), ("dpo", dpo)) for key, value in model.state_dict().items()}
    return save_checkpoint("tinygpt_posttrain", state, info, directory=directory)
