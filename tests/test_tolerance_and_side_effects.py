"""The tolerance policy, near-miss messages, side-effect detection and gradient checks of the framework."""
import numpy as np
import pytest
import torch

from course_utils.checking import FAILED, PASSED, CheckFailure, Mistakes, expect_close, gradients, run_check
from course_utils.checking.formatting import show_pair
from course_utils.exercises import Exercise

EXPECTED = np.array([0.95, 0.5, 1e-3, 0.0])


def make_exercise(checker, may_modify=()):
    return Exercise("99.thing", 1, checker, reference=lambda *a: None, title="a test exercise",
                    may_modify=may_modify)


def softmax32(logits):
    logits = np.asarray(logits, dtype=np.float32)
    shifted = logits - logits.max()
    return np.exp(shifted - np.log(np.exp(shifted).sum()))


def test_float32_answers_get_float32_tolerances_float64_keep_the_checkers():
    logits = np.array([3.1, -2.7, 0.4, 9.9, -11.3])
    exact = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    expect_close(softmax32(logits), exact, rtol=1e-9, atol=1e-12)         # float32 array
    expect_close(torch.tensor(softmax32(logits)), exact, rtol=1e-9, atol=1e-12)  # float32 tensor
    expect_close(exact.tolist(), exact, rtol=1e-9, atol=1e-12)            # a list of Python floats
    with pytest.raises(CheckFailure):  # the float32 slack is not granted to a float64 answer
        expect_close(softmax32(logits).astype(np.float64), exact, rtol=1e-9, atol=1e-12)
    with pytest.raises(CheckFailure):  # nor does it hide a real mistake in float32
        expect_close((exact * 1.001).astype(np.float32), exact, rtol=1e-9, atol=1e-12)


def test_exact_dtype_keeps_the_checkers_tolerance_for_float32():
    with pytest.raises(CheckFailure):
        expect_close(np.float32(1 / 3), 1 / 3, rtol=1e-9, atol=0, exact_dtype=True)
    expect_close(np.float32(1 / 3), 1 / 3, rtol=1e-9, atol=0)


def test_entries_near_zero_are_judged_at_the_scale_of_the_array():
    expected = np.array([1.0, 2.0, 0.0])
    expect_close(np.array([1.0, 2.0, -3e-13]), expected, rtol=1e-9, atol=0)  # a different order of operations
    with pytest.raises(CheckFailure):
        expect_close(np.array([1.0, 2.0, 1e-3]), expected, rtol=1e-9, atol=0)


def test_a_non_finite_mistake_candidate_never_matches():
    with pytest.raises(CheckFailure) as failure:
        expect_close(np.array([np.nan, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]),
                     mistakes=Mistakes({"normalise each row": lambda: np.array([np.inf, 1.0, 0.0]),
                                        "also infinite": lambda: np.array([np.nan, 0.0, 0.0])}).answers(),
                     hint="subtract the row's max before exp")
    assert failure.value.hint == "subtract the row's max before exp"


def test_a_near_miss_is_shown_with_enough_digits_to_differ():
    expected, got = show_pair(np.array([0.95, 0.5]), np.array([0.95, 0.5000001]))
    assert "0.5000001" in got and expected != got
    verdict = run_check(make_exercise(lambda fn: expect_close(fn(), 0.123456789, rtol=1e-9)), lambda: 0.1234568)
    assert "expected: 0.12345679" in verdict.text() and "got:      0.1234568" in verdict.text()


def test_an_argument_changed_in_place_is_named():
    def checker(fn):
        expect_close(fn(np.array([1.0, 2.0]), 0.5), [0.5, 1.0])

    def scales_in_place(w, factor):
        w *= factor
        return w

    def scales(w, factor):
        return w * factor

    verdict = run_check(make_exercise(checker), scales_in_place)
    assert verdict.status == FAILED and "changed its input `w` in place" in verdict.text()
    assert run_check(make_exercise(checker), scales).status == PASSED
    assert run_check(make_exercise(checker, may_modify=("w",)), scales_in_place).status == PASSED


def test_nested_and_tensor_arguments_are_compared_too():
    def checker(fn):
        fn({"weights": [torch.ones(2)]})

    def zeroes_a_tensor(params):
        params["weights"][0].zero_()

    assert "changed its input `params`" in run_check(make_exercise(checker), zeroes_a_tensor).text()


def test_model_weights_changed_and_hooks_left_are_named():
    def checker(fn):
        fn(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()))

    def trains(model):
        with torch.no_grad():
            model[0].weight += 1

    def leaves_a_hook(model):
        model[1].register_forward_hook(lambda module, inputs, output: output * 0)

    def removes_its_hook(model):
        handle = model[1].register_forward_hook(lambda module, inputs, output: output)
        model(torch.ones(1, 2))
        handle.remove()

    assert "changed the weights of `model`" in run_check(make_exercise(checker), trains).text()
    assert run_check(make_exercise(checker, may_modify=("model",)), trains).status == PASSED
    assert "left 1 hook registered on `model`" in run_check(make_exercise(checker), leaves_a_hook).text()
    assert run_check(make_exercise(checker), removes_its_hook).status == PASSED


def test_gradients_flow_or_a_sentence_says_why_not():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    (grad,) = gradients((x ** 2).sum(), [x])
    assert torch.allclose(grad, torch.tensor([2.0, -4.0]))
    for broken, fragment in (((x ** 2).sum().item(), "`.item()`"), ((x ** 2).sum().detach(), "`.detach()`"),
                             (x ** 2, "single number")):
        with pytest.raises(CheckFailure) as failure:
            gradients(broken, [x])
        assert fragment in failure.value.message


def test_equal_answers_in_any_container_are_equal():
    from course_utils.checking import expect_equal

    for got in ((1, 2), [1, 2], np.array([1, 2]), torch.tensor([1, 2])):
        expect_equal(got, [1, 2])
    expect_equal({"edges": (3, 4)}, {"edges": [3, 4]})
    with pytest.raises(CheckFailure) as failure:
        expect_equal(np.array([2, 1]), [1, 2], mistakes=Mistakes({"reversed": lambda x: x[::-1]}).answers((1, 2)))
    assert failure.value.hint == "reversed"


def test_gradients_reach_the_copies_the_learner_received():
    def checker(fn):
        x = torch.tensor([1.0, -2.0], requires_grad=True)
        value, (x_seen,), _ = fn.call_with_inputs(x)
        (grad,) = gradients(value, [x_seen])
        expect_close(grad, [2.0, -4.0])

    assert run_check(make_exercise(checker), lambda x: (x ** 2).sum()).status == PASSED
    verdict = run_check(make_exercise(checker), lambda x: (x ** 2).sum().detach())
    assert verdict.status == FAILED and "`.detach()`" in verdict.text()
