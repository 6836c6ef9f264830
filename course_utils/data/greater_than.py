"""The greater-than task in miniature, after Hanna et al. 2023 ("How does GPT-2 compute greater-than?").

A prompt reads ``The <noun> lasted from the year <CC><YY> to the year <CC>``, as GPT-2 tokenizes it: the year
1745 is the two tokens ``17`` and ``45``. A model that understands the sentence puts its probability for the
next token on the two-digit numbers *greater than* YY. The vocabulary has the 100 two-digit tokens ``00`` …
``99`` first, so a number token's id is its value, then a few words and nouns.

- :func:`greater_than_batch` draws prompts (YY from 02 to 98 and centuries 11 to 17, as in the paper);
- :func:`corrupt` gives the paper's corrupted prompts: the same sentence with YY = 01;
- :func:`probability_difference` is the paper's metric, Σ_{y > YY} p(y) − Σ_{y ≤ YY} p(y);
- :func:`target_distribution` is what the recipe trains on: uniform over the years after YY.
"""
import numpy as np

NUMBERS = [f"{n:02d}" for n in range(100)]
WORDS = ["The", "lasted", "from", "the", "year", "to"]
NOUNS = ["war", "siege", "reign", "drought", "famine", "voyage", "strike", "expedition", "plague", "treaty"]
VOCAB = NUMBERS + WORDS + NOUNS
TOKEN = {word: index for index, word in enumerate(VOCAB)}
D_VOCAB = len(VOCAB)
CENTURIES = list(range(11, 18))
YEARS = list(range(2, 99))          # YY, as in the paper: 02 … 98
SEQ_LEN = 12
YY_POSITION = 7                     # The noun lasted from the year CC [YY] to the year CC
CORRUPT_YY = 1                      # the paper's corruption: the start year's last two digits become 01


def prompt_tokens(noun, century, yy):
    """The token ids of one prompt: ``The noun lasted from the year CC YY to the year CC``."""
    words = ["The", noun, "lasted", "from", "the", "year", f"{century:02d}", f"{yy:02d}", "to", "the", "year",
             f"{century:02d}"]
    return [TOKEN[word] for word in words]


def decode(tokens):
    """A prompt as text (numbers glued into years, as a reader would see it)."""
    words = [VOCAB[int(t)] for t in tokens]
    text = " ".join(words[:6]) + f" {words[6]}{words[7]} " + " ".join(words[8:])
    return text


def greater_than_batch(batch, rng, years=None):
    """``(tokens [batch, 12] int64 tensor, yy [batch] int64 tensor)`` of random prompts.

    ``rng`` is a numpy Generator; ``years`` restricts YY to a list (default 02 … 98).
    """
    import torch

    years = YEARS if years is None else list(years)
    nouns = rng.integers(0, len(NOUNS), batch)
    centuries = rng.integers(0, len(CENTURIES), batch)
    yy = np.asarray(years)[rng.integers(0, len(years), batch)]
    tokens = [prompt_tokens(NOUNS[n], CENTURIES[c], int(y)) for n, c, y in zip(nouns, centuries, yy)]
    return torch.tensor(tokens, dtype=torch.int64), torch.tensor(yy, dtype=torch.int64)


def corrupt(tokens):
    """The paper's corrupted prompts: the same sentences with the start year's YY replaced by 01."""
    corrupted = tokens.clone()
    corrupted[:, YY_POSITION] = TOKEN[f"{CORRUPT_YY:02d}"]
    return corrupted


def greater_mask(yy):
    """``[batch, 100]`` bool tensor: True where the two-digit number is greater than the prompt's YY."""
    import torch

    return torch.arange(100)[None, :] > torch.as_tensor(yy)[:, None]


def target_distribution(yy):
    """``[batch, d_vocab]``: uniform over the numbers greater than YY (what a sensible end year looks like)."""
    import torch

    target = torch.zeros(len(yy), D_VOCAB)
    mask = greater_mask(yy).float()
    target[:, :100] = mask / mask.sum(-1, keepdim=True)
    return target


def probability_difference(logits, yy, per_prompt=False):
    """Hanna et al.'s metric at the last position: Σ_{y > YY} p(y) − Σ_{y ≤ YY} p(y), over the number tokens.

    ``logits``: ``[batch, seq, d_vocab]`` or ``[batch, d_vocab]`` (the last position's). Averaged over the
    batch unless ``per_prompt``. A differentiable tensor.
    """
    last = logits[:, -1] if logits.dim() == 3 else logits
    probs = last.softmax(-1)[:, :100]
    sign = greater_mask(yy).float() * 2 - 1
    values = (probs * sign).sum(-1)
    return values if per_prompt else values.mean()
