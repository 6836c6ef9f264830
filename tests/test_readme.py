"""The README opens with the two commands and its course map shows every lesson as its LessonInfo declares it."""
import re
from pathlib import Path

import pytest

from course_utils.lessons import all_lessons

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1)
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make lab", "make test"]


@pytest.mark.parametrize("info", all_lessons(), ids=lambda info: info.number)
def test_course_map_lists_the_lesson(info):
    row = re.search(rf"^\| {info.number} \| \[(.+?)\]\(notebooks/{re.escape(info.notebook_name)}\) \| (\d+) min \| "
                    rf"(.+?) \|$", README, re.MULTILINE)
    assert row, f"README's course map has no row for lesson {info.number}"
    assert row.group(1) == info.title and int(row.group(2)) == info.minutes
    assert row.group(3) == info.summary, "the README row and the lesson's LessonInfo.summary differ"
