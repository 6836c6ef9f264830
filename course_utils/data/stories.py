"""An offline English story corpus from a small seeded grammar, plus tasks with known answers.

The course never downloads text. Instead :func:`generate_stories` writes short
stories from templates over a fixed cast of names, places and objects, in
several story types (a gift, a lost thing, a trip, a dialogue, a weather day,
a meeting of three friends).
The same seed always gives the same text, so the corpus, the TinyGPT trained
on it and every experiment on that model are reproducible.

Every name starts with a different capital letter. A character-level model
therefore commits to a name with its first character, which makes tasks such
as "who receives the object?" measurable with one logit per name.

Tasks for interpretability lessons (each item records its answer):

* :func:`indirect_object_task` -- "When Anna and Ben went to the park, Anna
  gave the ball to" ... the answer is the *other* name, Ben (the indirect
  object). Names follow the gift stories of the corpus.
* :func:`repeated_name_task` -- a sentence with three names, one of which
  appears twice; the answer is the repeated name (the "meeting" stories).
"""
import numpy as np

NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Finn", "Grace", "Hugo", "Iris", "Jack", "Kate", "Leo")
PLACES = ("park", "beach", "market", "garden", "school", "forest", "lake", "library", "farm", "river")
OBJECTS = ("ball", "book", "apple", "kite", "cake", "hat", "key", "shell", "cup", "drum", "map", "lamp")
ADJECTIVES = ("red", "small", "old", "shiny", "blue", "big", "soft", "green")
FEELINGS = ("happy", "sad", "tired", "glad", "calm", "proud")
WEATHER = ("sunny", "rainy", "windy", "cold", "warm", "cloudy")
STORY_TYPES = ("gift", "lost", "trip", "dialogue", "weather", "meeting")

# The corpus recipe behind the shipped TinyGPT: change it and `course train tinygpt` must be rerun.
CORPUS_RECIPE = dict(n_stories=6000, seed=0, validation_fraction=0.1)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _a(word):
    """The word with its indefinite article: "a ball", "an apple"."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def _two_names(rng):
    first, second = rng.choice(len(NAMES), size=2, replace=False)
    return NAMES[int(first)], NAMES[int(second)]


def _gift(rng):
    a, b = _two_names(rng)
    place, thing, adj = _pick(rng, PLACES), _pick(rng, OBJECTS), _pick(rng, ADJECTIVES)
    giver, receiver = (a, b) if rng.random() < 0.5 else (b, a)
    opening = _pick(rng, (f"When {a} and {b} went to the {place}, ",
                          f"After {a} and {b} arrived at the {place}, ",
                          f"While {a} and {b} were at the {place}, "))
    return (f"{opening}{giver} gave the {adj} {thing} to {receiver}. "
            f"{receiver} said thank you. {receiver} was {_pick(rng, FEELINGS)}.")


def _lost(rng):
    a, b = _two_names(rng)
    thing, place = _pick(rng, OBJECTS), _pick(rng, PLACES)
    return (f"{a} lost {_a(thing)} at the {place}. {a} looked everywhere. "
            f"Then {b} found the {thing} and gave it back to {a}. {a} was {_pick(rng, FEELINGS)}.")


def _trip(rng):
    a = _pick(rng, NAMES)
    first, second = rng.choice(len(PLACES), size=2, replace=False)
    thing = _pick(rng, OBJECTS)
    return (f"In the morning {a} went to the {PLACES[int(first)]}. Later {a} walked to the "
            f"{PLACES[int(second)]} with {_a(thing)}. At night {a} was {_pick(rng, FEELINGS)}.")


def _dialogue(rng):
    a, b = _two_names(rng)
    thing, adj = _pick(rng, OBJECTS), _pick(rng, ADJECTIVES)
    return (f'"Can I have the {thing}?" asked {a}. "Yes, take the {adj} one," said {b}. '
            f'"Thank you, {b}!" said {a}.')


def _weather(rng):
    a = _pick(rng, NAMES)
    weather, place = _pick(rng, WEATHER), _pick(rng, PLACES)
    if weather in ("rainy", "cold", "windy"):
        plan = f"so {a} stayed at home and read a book."
    else:
        plan = f"so {a} went to the {place} to play."
    return f"It was a {weather} day, {plan} {a} was {_pick(rng, FEELINGS)}."


def _meeting_sentence(rng):
    names = [NAMES[int(i)] for i in rng.choice(len(NAMES), size=3, replace=False)]
    repeated = names[int(rng.integers(3))]
    place = _pick(rng, PLACES)
    return f"{names[0]} met {names[1]} and {names[2]}, then {repeated} went to the {place}.", repeated, names


def _meeting(rng):
    sentence, repeated, _ = _meeting_sentence(rng)
    return f"{sentence} {repeated} was {_pick(rng, FEELINGS)}."


_MAKERS = {"gift": _gift, "lost": _lost, "trip": _trip, "dialogue": _dialogue, "weather": _weather,
           "meeting": _meeting}
# How often each story type appears: gift stories (the indirect-object pattern) are the most common.
TYPE_WEIGHTS = {"gift": 0.3, "lost": 0.15, "trip": 0.15, "dialogue": 0.15, "weather": 0.1, "meeting": 0.15}


def generate_stories(n, seed=0, story_type=None):
    """``n`` stories (strings) from the grammar; ``story_type`` restricts them to one of STORY_TYPES."""
    if story_type is not None and story_type not in _MAKERS:
        raise ValueError(f"story_type must be one of {STORY_TYPES}, not {story_type!r}")
    rng = np.random.default_rng(seed)
    types, weights = list(TYPE_WEIGHTS), np.array(list(TYPE_WEIGHTS.values()))
    stories = []
    for _ in range(n):
        kind = story_type or types[int(rng.choice(len(types), p=weights / weights.sum()))]
        stories.append(_MAKERS[kind](rng))
    return stories


def join_stories(stories):
    """One text with stories separated by a newline (the model sees the newline as 'story over')."""
    return "".join(story + "\n" for story in stories)


def corpus(split="train", n_stories=None, seed=None, validation_fraction=None, story_type=None):
    """The course corpus as one string; ``split`` is "train" or "validation" (the last stories).

    With no arguments this is exactly the text the shipped TinyGPT was trained on (CORPUS_RECIPE).
    """
    if split not in ("train", "validation"):
        raise ValueError(f'split must be "train" or "validation", not {split!r}')
    n_stories = CORPUS_RECIPE["n_stories"] if n_stories is None else n_stories
    seed = CORPUS_RECIPE["seed"] if seed is None else seed
    fraction = CORPUS_RECIPE["validation_fraction"] if validation_fraction is None else validation_fraction
    stories = generate_stories(n_stories, seed=seed, story_type=story_type)
    n_validation = max(1, int(round(n_stories * fraction)))
    return join_stories(stories[:-n_validation] if split == "train" else stories[-n_validation:])


def alphabet():
    """Every character the grammar can produce, sorted (the character tokenizer's vocabulary)."""
    text = "\n" + " ".join(NAMES + PLACES + OBJECTS + ADJECTIVES + FEELINGS + WEATHER)
    for maker in _MAKERS.values():
        rng = np.random.default_rng(0)
        text += "".join(maker(rng) for _ in range(50))
    return "".join(sorted(set(text)))


def indirect_object_task(n, seed=0):
    """``n`` prompts whose next word is the indirect object: a list of dicts.

    Each item has ``prompt`` ("When Anna and Ben went to the park, Anna gave the ball to"),
    ``answer`` (" Ben", the indirect object, with its leading space), ``subject`` (" Anna", the
    repeated giver, the wrong answer a model might copy), and the two names and the place.
    """
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(n):
        a, b = _two_names(rng)
        place, thing, adj = _pick(rng, PLACES), _pick(rng, OBJECTS), _pick(rng, ADJECTIVES)
        giver, receiver = (a, b) if rng.random() < 0.5 else (b, a)
        items.append(dict(prompt=f"When {a} and {b} went to the {place}, {giver} gave the {adj} {thing} to",
                          answer=" " + receiver, subject=" " + giver, names=(a, b), place=place, object=thing))
    return items


def repeated_name_task(n, seed=0):
    """``n`` sentences with three names, one of them twice; ``answer`` is the repeated name.

    Each item has ``text`` ("Anna met Ben and Clara, then Ben went to the lake."), ``answer``
    ("Ben") and ``names`` (the three distinct names in order of first appearance).
    """
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(n):
        sentence, repeated, names = _meeting_sentence(rng)
        items.append(dict(text=sentence, answer=repeated, names=tuple(names)))
    return items
