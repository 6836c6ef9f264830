"""The one parser of an exercise cell's header: ``# Exercise: NN.function_name`` on its first non-blank line."""
import re

EXERCISE_HEADER = re.compile(r"^#\s*Exercise:\s*(\S+)\s*$")


def exercise_id(source):
    """The id a code cell's header names (``"01.step_neuron"``), or None when the cell has no header."""
    for line in source.split("\n"):
        if line.strip():
            match = EXERCISE_HEADER.match(line.strip())
            return match.group(1) if match else None
    return None
