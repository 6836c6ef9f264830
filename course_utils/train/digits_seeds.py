"""Recipe ``digits_mlp_seeds``: families of small MLPs on the digits data, several seeds each (lesson 09).

* ``base``: four seeds of the same 5-hidden-layer tanh MLP (width 48), for the layer-correspondence test;
* ``wide``: two seeds at each of several widths (2 hidden layers), to see how width changes cross-seed similarity;
* ``deep``: one tanh MLP with many more layers than the task needs.

Every network differs only in its seed (initial weights and minibatch order). All state dicts are saved in
one checkpoint file: ``{family: {str(seed or width/seed): state_dict}}``.
"""
import time

import numpy as np

from . import recipe

NAME = "digits_mlp_seeds"
ACTIVATION = "tanh"
BASE = dict(width=48, depth=5, seeds=(0, 1, 2, 3), epochs=60)
WIDE = dict(widths=(8, 32, 128, 384), depth=2, seeds=(0, 1), epochs=30)
DEEP = dict(width=48, depth=16, seed=0, epochs=60)
LR, BATCH = 1e-3, 64


def sizes(width, depth):
    return [64] + [width] * depth + [10]


def train_one(width, depth, seed, epochs, progress=False):
    """One MLP trained with Adam on the digits training split; returns the model."""
    import torch
    from tqdm.auto import tqdm

    from ..data.digits import load_digits_split
    from ..models.mlp import MLP

    data = load_digits_split()
    X, y = torch.tensor(data.X_train), torch.tensor(data.y_train)
    torch.manual_seed(seed)
    model = MLP(sizes(width, depth), activation=ACTIVATION)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    order = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc=f"width {width}, depth {depth}, seed {seed}", disable=not progress):
        perm = torch.randperm(len(X), generator=order)
        for start in range(0, len(X), BATCH):
            idx = perm[start:start + BATCH]
            loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def build_model(width, depth, state=None):
    from ..models.mlp import MLP

    model = MLP(sizes(width, depth), activation=ACTIVATION)
    if state is not None:
        model.load_state_dict(state)
    model.eval()
    return model


def load_family(name="base"):
    """The shipped networks of one family: {label: model} (labels like "seed0" or "width128/seed1")."""
    from ..checkpoints import load_checkpoint

    states, info = load_checkpoint(NAME)
    models = {}
    for label, state in states[name].items():
        width, depth = _shape_of(name, label, info)
        models[label] = build_model(width, depth, state)
    return models


def _shape_of(family, label, info):
    if family == "base":
        return info["base"]["width"], info["base"]["depth"]
    if family == "deep":
        return info["deep"]["width"], info["deep"]["depth"]
    return int(label.split("/")[0].removeprefix("width")), info["wide"]["depth"]


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@recipe(NAME, description="MLPs on digits, several seeds, widths and a very deep one (lesson 09)",
        metric="base_mean_test_accuracy", tolerance=0.03)
def build(directory, progress=True):
    import torch

    from ..checkpoints import save_checkpoint
    from ..data.digits import load_digits_split
    from ..models.mlp import accuracy

    start = time.time()
    data = load_digits_split()
    X_test, y_test = torch.tensor(data.X_test), torch.tensor(data.y_test)
    states, accuracies = {"base": {}, "wide": {}, "deep": {}}, {}
    for seed in BASE["seeds"]:
        model = train_one(BASE["width"], BASE["depth"], seed, BASE["epochs"], progress)
        states["base"][f"seed{seed}"] = _state(model)
        accuracies[f"base/seed{seed}"] = round(accuracy(model, X_test, y_test), 4)
    for width in WIDE["widths"]:
        for seed in WIDE["seeds"]:
            model = train_one(width, WIDE["depth"], seed, WIDE["epochs"], progress)
            states["wide"][f"width{width}/seed{seed}"] = _state(model)
            accuracies[f"wide/width{width}/seed{seed}"] = round(accuracy(model, X_test, y_test), 4)
    model = train_one(DEEP["width"], DEEP["depth"], DEEP["seed"], DEEP["epochs"], progress)
    states["deep"][f"seed{DEEP['seed']}"] = _state(model)
    accuracies[f"deep/seed{DEEP['seed']}"] = round(accuracy(model, X_test, y_test), 4)
    base_mean = float(np.mean([v for k, v in accuracies.items() if k.startswith("base/")]))
    info = dict(base=dict(BASE, seeds=list(BASE["seeds"])), wide=dict(WIDE, widths=list(WIDE["widths"]),
                                                                       seeds=list(WIDE["seeds"])),
                deep=DEEP, activation=ACTIVATION, lr=LR, batch=BATCH, optimizer="Adam",
                data_recipe="course_utils.data.digits.load_digits_split(test_fraction=0.25, seed=0)",
                model="course_utils.models.mlp.MLP", test_accuracy=accuracies,
                base_mean_test_accuracy=round(base_mean, 4), train_seconds=round(time.time() - start, 1))
    return save_checkpoint(NAME, states, info, directory=directory)
