"""Compare two printed texts that may differ in the last digit of their numbers, and in nothing else.

Another CPU or BLAS kernel can move a float by one unit in its last printed
digit (0.933 and 0.934, 8.1e-04 and 8.2e-04), and no rounding in a sanitizer
fixes a value that rounds the other way. So the notebook tests compare printed
numbers with a tolerance: the words, the punctuation and every integer must be
identical; a number with a decimal point or an exponent may differ by at most
``LAST_DIGIT_UNITS`` units of its last printed digit. A 5 % change, a new word
or a changed count still fails.
"""
import re

LAST_DIGIT_UNITS = 2

# a number, with its sign when the sign is not a hyphen between words ("layer-2" keeps its "2"); numpy's
# "0." and "1." (a whole number printed as a float) have no decimals, so they count as integers: exact
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|(?<![\w.])-?\.\d+(?:[eE][-+]?\d+)?")


def _split(text):
    """(the text with every number replaced by a marker, the numbers as printed)."""
    return NUMBER.sub("\0", text), NUMBER.findall(text)


def last_digit_unit(printed):
    """The value of one unit in the last printed digit of a number: 0.001 for "0.933", 1e-5 for "8.1e-04"."""
    mantissa, _, exponent = printed.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def is_integer(printed):
    """A number printed without decimals or exponent: a count, an index, a size, numpy's "0."."""
    return re.fullmatch(r"-?\d+", printed) is not None


def numbers_close(a, b):
    """Whether two printed numbers are the same up to the tolerance above."""
    if a == b:
        return True
    if is_integer(a) or is_integer(b):
        return False  # counts, indices and sizes must match exactly
    unit = max(last_digit_unit(a), last_digit_unit(b))
    return abs(float(a) - float(b)) <= LAST_DIGIT_UNITS * unit * (1 + 1e-9)


def texts_match(test, reference):
    """Whether two printed texts are equal once each pair of numbers is compared with ``numbers_close``."""
    if test == reference:
        return True
    test_words, test_numbers = _split(test)
    reference_words, reference_numbers = _split(reference)
    return (test_words == reference_words and len(test_numbers) == len(reference_numbers)
            and all(numbers_close(a, b) for a, b in zip(test_numbers, reference_numbers)))


def _text_fields(output):
    """(container, key) for each text field of a notebook output that holds printed text."""
    if output.get("output_type") == "stream":
        yield output, "text"
    for key in ("text/plain",):
        if key in (output.get("data") or {}):
            yield output["data"], key


def align_numbers(test_outputs, reference_outputs):
    """The test outputs, with each text that matches its reference up to last digits replaced by the reference.

    Outputs are paired in order; anything that differs otherwise is left for nbval to report.
    """
    aligned = []
    for index, test in enumerate(test_outputs):
        reference = reference_outputs[index] if index < len(reference_outputs) else None
        if reference is not None and test.get("output_type") == reference.get("output_type"):
            test = _copy(test)
            for (container, key), (ref_container, ref_key) in zip(_text_fields(test), _text_fields(reference)):
                got, want = _joined(container[key]), _joined(ref_container[ref_key])
                if got != want and texts_match(got, want):
                    container[key] = ref_container[ref_key]
        aligned.append(test)
    return aligned


def _joined(text):
    return "".join(text) if isinstance(text, list) else text


def _copy(output):
    copied = type(output)(output)
    if "data" in output:
        copied["data"] = type(output["data"])(output["data"])
    return copied
