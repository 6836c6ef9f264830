"""Recipes that (re)create the shipped checkpoints: ``course train NAME``.

A recipe module in this package registers itself with :func:`recipe`. The
function takes ``directory`` (where to write the checkpoint) and returns the
metadata it saved, including the metric that ``course train`` compares with
the shipped checkpoint's.
"""
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

_RECIPES: dict[str, "Recipe"] = {}


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    metric: str          # the metadata key compared with the shipped checkpoint
    tolerance: float     # |new - shipped| allowed for that metric
    build: Callable


def recipe(name, *, description, metric, tolerance):
    def register(build):
        _RECIPES[name] = Recipe(name, description, metric, tolerance, build)
        return build

    return register


def all_recipes():
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(_RECIPES.items()))
