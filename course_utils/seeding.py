"""One call seeds every random number generator a lesson uses."""
import os
import random

import numpy as np


def seed_everything(seed=0):
    """Seed Python, numpy and torch so a lesson's output is the same on every run."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import torch

    torch.manual_seed(seed)
