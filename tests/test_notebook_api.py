"""What a notebook sees: check, use (with its fallback), strict mode and friendly errors."""
import pytest

from course_utils import start_lesson
from course_utils.checking import CheckFailed
from course_utils.lessons.lesson01_perceptron import reference as ref


def stub_step_neuron(x, w, b):
    raise NotImplementedError()


def test_check_prints_the_verdict_and_records_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "p.json"))
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    lesson = start_lesson("01")
    step_neuron = ref.step_neuron
    lesson.check(step_neuron)
    assert capsys.readouterr().out.strip() == "01.step_neuron: passed (1/1 point)."
    assert "01.step_neuron" in (tmp_path / "p.json").read_text()


def test_use_falls_back_to_the_reference_with_one_line(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    lesson = start_lesson("01")

    def step_neuron(x, w, b):
        raise NotImplementedError()

    chosen = lesson.use(step_neuron)
    assert chosen is ref.step_neuron
    assert capsys.readouterr().out.strip() == (
        "Using the course's reference `step_neuron` below, because yours is not attempted yet.")


def test_use_returns_a_passing_function_silently(capsys):
    lesson = start_lesson("01")
    step_neuron = ref.step_neuron
    assert lesson.use(step_neuron) is step_neuron
    assert capsys.readouterr().out == ""


def test_strict_mode_raises_on_a_failing_check(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "1")
    lesson = start_lesson("01")

    def step_neuron(x, w, b):
        return 0.0

    with pytest.raises(CheckFailed):
        lesson.check(step_neuron)


def test_unknown_function_name_gets_a_sentence(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    lesson = start_lesson("01")

    def my_neuron(x, w, b):
        return 0.0

    lesson.check(my_neuron)
    out = capsys.readouterr().out
    assert "no exercise called `my_neuron`" in out and "`step_neuron`" in out


def test_renamed_function_can_name_its_exercise(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    lesson = start_lesson("01")
    lesson.check(ref.step_neuron, exercise="step_neuron")
    assert "passed" in capsys.readouterr().out


def test_unknown_lesson_is_a_clear_error():
    with pytest.raises(KeyError, match="there is no lesson '77'"):
        start_lesson("77")
