"""One call seeds every random number generator a lesson uses."""
import os
import random
import sys

import numpy as np


def seed_everything(seed=0):
    """Seed Python, numpy and torch so a lesson's output is the same on every run.

    Torch is seeded only when already imported: a lesson that uses it imports it
    before ``start_lesson`` (tests/test_build.py checks every solution), and a
    lesson that does not use it need not pay seconds to load it.
    """
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
