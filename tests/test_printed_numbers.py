"""The notebook comparison tolerates last-digit changes in printed numbers, and nothing else."""
import configparser
import re
from pathlib import Path

import nbformat
import pytest

from conftest import _comparable
from printed_numbers import NUMBER, align_numbers, is_integer, last_digit_unit, texts_match

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("test, reference", [
    ("control 0.933, probe 0.981", "control 0.934, probe 0.981"),
    ("mean |attribution| 8.1e-04", "mean |attribution| 8.2e-04"),
    ("bias -0.000", "bias 0.000"),
    ("loss 2.3026 after 10 steps", "loss 2.3027 after 10 steps"),
    ("[0.1235, -0.9999]", "[0.1234, -1.0000]"),
])
def test_a_last_digit_flip_compares_equal(test, reference):
    assert texts_match(test, reference)


@pytest.mark.parametrize("test, reference", [
    ("control 0.933 accuracy", "control 0.933 precision"),        # a changed word
    ("found 12 regions", "found 13 regions"),                      # a changed count
    ("layer 3: 0.500", "layer 4: 0.500"),                          # a changed index
    ("accuracy 0.950", "accuracy 0.9975"),                          # a 5 % change
    ("ratio 1.05e-03", "ratio 1.00e-03"),                          # 5 % in scientific notation
    ("0.933", "0.933 0.1"),                                       # a number more
    ("x-2.0", "x 2.0"),                                           # the text around numbers matters
    ("hidden = [0. 1.]", "hidden = [1. 1.]"),                     # numpy's whole-number floats
])
def test_a_real_change_still_differs(test, reference):
    assert not texts_match(test, reference)


def test_last_digit_units():
    assert last_digit_unit("0.933") == pytest.approx(1e-3)
    assert last_digit_unit("8.1e-04") == pytest.approx(1e-5)
    assert is_integer("-12") and not is_integer("12.0")
    assert NUMBER.findall("[0. 1.]") == ["0", "1"]  # numpy's whole-number floats are compared exactly


def _moved(text):
    """Every printed non-integer number moved by one unit in its last digit (down when up would widen it)."""
    def move(match):
        printed = match.group(0)
        if is_integer(printed):
            return printed
        mantissa, e, exponent = printed.partition("e") if "e" in printed else printed.partition("E")
        decimals = len(mantissa.partition(".")[2])
        unit = 10.0 ** -decimals
        for step in (unit, -unit):
            candidate = f"{float(mantissa) + step:.{decimals}f}"
            if len(candidate) == len(mantissa) and candidate != mantissa:
                return candidate + e + exponent
        return printed
    return NUMBER.sub(move, text)


class _NbvalCell:
    """The parts of nbval's cell that its comparison reads, with the project's sanitizer."""

    class parent:
        skip_compare = ("metadata", "traceback", "execution_count")

    colors = type("colors", (), {"FAIL": "", "ENDC": "", "OKBLUE": "", "OKGREEN": ""})()

    def __init__(self):
        config = configparser.ConfigParser()
        config.read(ROOT / "tests" / "nbval_sanitize.cfg")
        self.patterns = [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]

    def format_output_compare(self, key, reference, test):
        self.comparison_traceback.append(f"{key}: expected {reference!r}, got {test!r}")

    def sanitize(self, text):
        for pattern, replacement in self.patterns:
            text = pattern.sub(replacement, text)
        return text


def _with_moved_numbers(output):
    moved = nbformat.from_dict(output)
    if moved.get("output_type") == "stream":
        moved["text"] = _moved(moved["text"])
    elif "text/plain" in moved.get("data", {}):
        moved["data"]["text/plain"] = _moved(moved["data"]["text/plain"])
    return moved


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_committed_outputs_survive_a_last_digit_change(path):
    from nbval.plugin import IPyNbCell

    cell_checker = _NbvalCell()
    notebook = nbformat.read(path, as_version=4)
    moved_any = False
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.outputs:
            continue
        reference = _comparable(cell.outputs)
        test = [_with_moved_numbers(o) for o in reference]
        moved_any |= test != reference
        assert IPyNbCell.compare_outputs(cell_checker, align_numbers(test, reference), reference), (
            f"cell {index}: {cell_checker.comparison_traceback}")
    assert moved_any, "no printed number was moved: the test would prove nothing"


def _notebook_printing(source, stored_text):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_text)]
    notebook.cells = [cell]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


@pytest.mark.parametrize("stored, passes", [("control 0.933\n", True), ("control 0.981\n", False)])
def test_nbval_itself_uses_the_tolerant_comparison(tmp_path, stored, passes):
    """End to end: a real nbval run of a notebook whose stored output differs in the last digit, or by 5 %."""
    import subprocess
    import sys

    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(_notebook_printing('print("control 0.934")', stored), folder / "flip.ipynb")
    # the project's conftest loaded as a plugin, as it is for solutions/ (the notebook lies outside the tree)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                             "--nbval", str(folder / "flip.ipynb")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (result.returncode == 0) == passes, result.stdout[-2000:]
