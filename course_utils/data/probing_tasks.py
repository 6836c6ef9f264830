"""Probing data for lesson 06: TinyGPT's residual stream on held-out stories, with labels we know exactly.

Every label here is computed from the text alone, so it is ground truth: the class of the *next*
character (space, vowel, consonant, capital, punctuation), the position inside the current word, and
the last two characters (previous + current). Lesson 06's control task ("Designing and Interpreting Probes
with Control Tasks", Hewitt and Liang, 2019, where the type is the word) types each token by its current
character, which the representation shows; the two-character bigram is its counter-example, a type the
representation need not show.

The stories come from the course grammar with a seed that differs from the training corpus's, and
every story keeps an id so train/test splits can be made by story, never by token.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .stories import generate_stories

NEXT_CHAR_CLASSES = ("space", "vowel", "consonant", "capital", "punctuation")
PROBING_SEED = 606   # not the corpus seed (0): the probes see stories the model was not trained on


def char_class(character):
    """0 space, 1 lower-case vowel, 2 lower-case consonant, 3 capital, 4 punctuation or newline."""
    if character == " ":
        return 0
    if character in "aeiou":
        return 1
    if character.islower():
        return 2
    if character.isupper():
        return 3
    return 4


@dataclass(frozen=True)
class ProbingSet:
    texts: list             # each story with a leading newline, as the model saw it
    tokens: torch.Tensor    # (n_stories, length) token ids, padded on the right with newlines
    rows: np.ndarray        # (n, 2) (story, position) of every labelled token
    story: np.ndarray       # (n,) story id of each labelled token
    next_class: np.ndarray  # (n,) class of the next character (NEXT_CHAR_CLASSES)
    word_position: np.ndarray  # (n,) letters so far in the current word, capped at 4 (0 outside a word)
    bigram: np.ndarray      # (n,) previous character + current character (lesson 06's counter-example type)

    def select(self, activations):
        """The labelled rows of a flattened (n_stories * length, d) activation array."""
        length = self.tokens.shape[1]
        return activations[self.rows[:, 0] * length + self.rows[:, 1]]


def probing_set(tokenizer, n_stories=60, seed=PROBING_SEED):
    """Stories with a leading newline; one labelled row per character that has a next character."""
    texts = ["\n" + story for story in generate_stories(n_stories, seed=seed)]
    length = max(len(text) for text in texts)
    newline = tokenizer.encode("\n")[0]
    tokens = torch.full((len(texts), length), newline, dtype=torch.long)
    rows, next_class, word_position, bigram = [], [], [], []
    for index, text in enumerate(texts):
        tokens[index, :len(text)] = torch.tensor(tokenizer.encode(text))
        letters = 0
        for position in range(len(text) - 1):
            character = text[position]
            letters = letters + 1 if character.isalpha() else 0
            rows.append((index, position))
            next_class.append(char_class(text[position + 1]))
            word_position.append(min(letters, 4))
            bigram.append(text[max(position - 1, 0)] + character)
    rows = np.array(rows)
    return ProbingSet(texts, tokens, rows, rows[:, 0].copy(), np.array(next_class), np.array(word_position),
                      np.array(bigram))
