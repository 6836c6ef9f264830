"""binder/ builds the learners' image: repo2docker (Binder, zero-to-jupyterhub images) installs exactly the course's
runtime pins with the CPU build of torch, runs binder/postBuild, and learners land in notebooks/00_welcome.ipynb.

Three levels:
- binder/requirements.txt equals pyproject.toml's [project] dependencies (declared there, checked here);
- the real `jupyter-repo2docker --no-build --debug` prints the Dockerfile it would build, and the test reads it;
- a fresh venv gets binder/requirements.txt and binder/postBuild, nothing else, opens JupyterLab on lesson 00 and
  runs lessons 00 and 01 headless (a few minutes: the slowest test of `make test`, which runs it once, in parallel
  with the rest).
"""
import hashlib
import http.client
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import platformdirs
import pytest

from local_ports import free_port

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LANDING = "notebooks/00_welcome.ipynb"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements_file():
    """(options, requirements) of binder/requirements.txt, comments and blank lines left out."""
    lines = [line.split("#")[0].strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    return [line for line in lines if line.startswith("-")], [line for line in lines if not line.startswith("-")]


# --- the files ----------------------------------------------------------------------------------------------------

def test_requirements_are_exactly_the_runtime_pins():
    _, requirements = _requirements_file()
    runtime = PYPROJECT["project"]["dependencies"]
    assert len(requirements) == len(set(requirements)), "binder/requirements.txt lists a package twice"
    assert sorted(requirements) == sorted(runtime), (
        "binder/requirements.txt must list exactly pyproject.toml's [project] dependencies "
        f"(missing: {sorted(set(runtime) - set(requirements))}, extra: {sorted(set(requirements) - set(runtime))})")


def test_requirements_take_torch_from_the_cpu_index_only():
    options, requirements = _requirements_file()
    # PyTorch's CPU index serves 2.13.0+cpu, which outranks PyPI's 2.13.0 (the CUDA build on Linux) for ==2.13.0.
    assert options == [f"--extra-index-url {CPU_INDEX}"]
    assert "torch==2.13.0" in requirements
    assert not [r for r in requirements if re.match(r"(nvidia|cuda|triton)", r, re.IGNORECASE)]


def test_runtime_is_python_311():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_postbuild_installs_no_dependency_of_its_own():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable (git mode 100755)"
    installs = [line for line in post_build.read_text().splitlines()
                if re.search(r"\bpip install\b", line) and not line.lstrip().startswith("#")]
    assert installs and all("--no-deps" in line for line in installs), installs


def test_default_url_opens_the_welcome_notebook():
    config = json.loads((BINDER / "jupyter_server_config.json").read_text())
    assert config["LabApp"]["default_url"] == config["ServerApp"]["default_url"] == f"/lab/tree/{LANDING}"
    assert config["JupyterNotebookApp"]["default_url"] == f"/notebooks/{LANDING}"
    assert (ROOT / LANDING).is_file()


def test_course_folder_is_found_from_notebooks_when_installed_non_editable(tmp_path, monkeypatch):
    from course_utils import paths

    monkeypatch.delenv("COURSE_ROOT", raising=False)
    installed = tmp_path / "site-packages" / "course_utils" / "paths.py"  # what `pip install .` leaves
    monkeypatch.setattr(paths, "__file__", str(installed))
    monkeypatch.chdir(ROOT / "notebooks")  # where a lesson's kernel runs
    assert paths.repo_root() == ROOT and paths.notebooks_dir() == ROOT / "notebooks"
    monkeypatch.chdir(tmp_path)  # outside any course folder: the working directory, as before
    assert paths.repo_root() == tmp_path


# --- the Dockerfile repo2docker generates -------------------------------------------------------------------------

def _decoded_build_script(name):
    """repo2docker names a copied build file by its escaped absolute path plus '-' and a 6-digit hash."""
    return Path(re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), name[:-7]))


needs_repo2docker = pytest.mark.skipif(
    importlib.util.find_spec("repo2docker") is None,
    reason="jupyter-repo2docker is not installed (it is in the dev extra: pip install -e '.[dev]')")


@needs_repo2docker
def test_repo2docker_builds_from_binder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug",
                             "--user-name", "jovyan", "--user-id", "1000", str(ROOT)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "FROM " in output, output[-3000:]
    dockerfile = output[output.index("FROM "):]
    runs = [line for line in dockerfile.splitlines() if line.startswith("RUN ") or "bin/pip" in line]

    # Python 3.11 from runtime.txt: repo2docker's base environment for 3.11.
    assert "python=3.11" in output
    base_files = [_decoded_build_script(name) for name in re.findall(r"build_script_files/(\S+)", dockerfile)]
    assert any(path.name == "environment.py-3.11-linux-64.lock" for path in base_files), base_files

    # binder/ wins over the root: environment.yml (conda) is not used, binder/requirements.txt is the one pip step.
    assert "environment.yml" not in dockerfile and "env update" not in dockerfile
    pip_steps = [line for line in runs if re.search(r"\bpip install\b", line)]
    assert pip_steps == ['RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"'], \
        pip_steps

    # postBuild runs once the whole repository is in the image.
    copy_repo = re.search(r"^COPY --chown=\S+ src/ \$\{REPO_DIR\}/$", dockerfile, re.MULTILINE)
    assert copy_repo and dockerfile.index("RUN ./binder/postBuild") > copy_repo.start()

    # No CUDA torch can come in: not from the base environment, not from any other step (postBuild installs with
    # --no-deps, see above); binder/requirements.txt takes torch==2.13.0 from the CPU index.
    for path in base_files:
        text = path.read_text()
        assert not re.search(r"torch|cuda|nvidia", text, re.IGNORECASE), f"{path} would install torch or CUDA"
    assert not re.search(r"torch|cuda|nvidia", "\n".join(runs), re.IGNORECASE)


@needs_repo2docker
def test_image_gets_the_course_without_local_build_outputs():
    from docker.utils.build import exclude_paths  # what repo2docker uses with binder/.dockerignore

    lines = [line.strip() for line in (BINDER / ".dockerignore").read_text().splitlines()]
    sent = exclude_paths(str(ROOT), [line for line in lines if line and not line.startswith("#")])
    assert {LANDING, "solutions/01_perceptron.ipynb", "binder/postBuild", "pyproject.toml"} <= sent
    assert not [path for path in sent if path.startswith(".venv") or "__pycache__" in path or ".egg-info" in path]


# --- a fresh venv from the binder files alone ---------------------------------------------------------------------

RUNNER = textwrap.dedent("""
    import json, os, sys
    import nbformat
    from nbclient import NotebookClient

    results = {}
    for path, progress, strict in json.loads(sys.argv[1]):
        os.environ["COURSE_PROGRESS_FILE"] = progress
        os.environ["COURSE_STRICT"] = strict
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": os.path.dirname(path)}}).execute()
        texts, errors = [], []
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    errors.append(f"{output.ename}: {output.evalue}")
                elif output.output_type == "stream":
                    texts.append(output.text)
                elif "text/plain" in output.get("data", {}):
                    texts.append(output.data["text/plain"])
        results[path] = {"text": "".join(texts), "errors": errors}
    print(json.dumps(results))
""")


def _wheelhouse(requirements, build_requires):
    """The wheels binder/requirements.txt resolves to (and what building the course needs), downloaded once per
    version of the two, kept in the user's cache: later runs install from these files without the network (a cold
    download takes minutes). What gets installed is still decided by binder/requirements.txt alone."""
    key = hashlib.sha256((requirements.read_text() + "\n".join(build_requires)).encode()).hexdigest()[:16]
    cache = Path(platformdirs.user_cache_dir("perceptrons-to-circuits")) / "binder-wheels"
    wheels = cache / key
    if not (wheels / ".complete").exists():
        shutil.rmtree(cache, ignore_errors=True)  # older versions' wheels
        partial = cache / f"{key}.partial"
        # Where PyTorch's index cannot be reached (a machine that sees only PyPI), go on at once, without retries.
        download = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--retries", "0",
                                   "--dest", str(partial), "-r", str(requirements), *build_requires],
                                  capture_output=True, text=True, timeout=1800)
        assert download.returncode == 0, download.stdout[-2000:] + download.stderr[-3000:]
        partial.rename(wheels)
        (wheels / ".complete").touch()
    return wheels


def _landing_page(venv, folder, env, tmp_path):
    """Where a JupyterLab server of `venv`, started in `folder`, sends a browser that opens its root URL."""
    port = free_port()
    command = [str(venv / "bin" / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.token=binder-test"] + (["--allow-root"] if os.geteuid() == 0 else [])
    env = dict(env, JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = tmp_path / "jupyter-lab.log"
    with open(log, "w") as output:
        server = subprocess.Popen(command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", "/", headers={"Authorization": "token binder-test"})
                response = connection.getresponse()
                assert response.status == 302, (response.status, log.read_text()[-3000:])
                return response.getheader("Location")
            except ConnectionError:
                time.sleep(0.5)
            finally:
                connection.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="binder/postBuild is a bash script, as repo2docker runs it")
def test_fresh_venv_from_binder_files_runs_lessons_00_and_01(tmp_path):
    started = time.monotonic()
    timings = {}

    def lap(name):
        timings[name] = round(time.monotonic() - started - sum(timings.values()), 1)

    # The repository as repo2docker sees it: the tracked and new files, none of this machine's build outputs.
    course = tmp_path / "course"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (course / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, course / name)
    lap("copy")

    wheels = _wheelhouse(course / "binder" / "requirements.txt", PYPROJECT["build-system"]["requires"])
    lap("wheels")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # no --system-site-packages
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_FIND_LINKS", "PIP_INDEX", "PIP_EXTRA_INDEX"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels),
               PIP_NO_COMPILE="1", MPLBACKEND="agg")
    python = str(venv / "bin" / "python")

    def run(*command, cwd=course):
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    # What repo2docker runs: pip install -r binder/requirements.txt, then binder/postBuild.
    run(python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt")
    lap("install requirements")
    assert "default URL set in" in run("bash", "binder/postBuild")
    lap("postBuild")

    # The course is installed (not editable) and imports from notebooks/, as a kernel started there does.
    where = run(python, "-c", "import course_utils, torch; print(course_utils.__file__); print(torch.__version__)",
                cwd=course / "notebooks").split()
    assert Path(where[0]).is_relative_to(venv), f"course_utils imported from {where[0]}, not the venv"
    assert where[1] == "2.13.0+cpu", f"torch {where[1]} is not the CPU build"
    installed = {item["name"].lower() for item in json.loads(run(python, "-m", "pip", "list", "--format=json"))}
    assert not {name for name in installed if name.startswith(("nvidia-", "triton"))}, "a CUDA package came in"
    assert not installed & {"pytest", "nbval", "playwright", "pytest-xdist", "jupyter-repo2docker"}
    config = json.loads((venv / "etc" / "jupyter" / "jupyter_server_config.json").read_text())
    assert config["LabApp"]["default_url"] == f"/lab/tree/{LANDING}" and (course / LANDING).is_file()
    lap("checks")

    # `jupyter lab` started in the course folder, as Binder and repo2docker start it, opens lesson 00.
    assert _landing_page(venv, course, env, tmp_path).split("?")[0] == f"/lab/tree/{LANDING}"
    lap("jupyter lab")

    # Headless, from notebooks/: the landing notebook, whose `course doctor` must find the notebooks; lesson 01's
    # student notebook, which completes with nothing attempted; its solutions, strict, which pass every check
    # (COURSE_STRICT=1 turns a failing check into an error).
    runner = tmp_path / "run_notebooks.py"
    runner.write_text(RUNNER)
    welcome = course / LANDING
    student, solution = course / "notebooks" / "01_perceptron.ipynb", course / "solutions" / "01_perceptron.ipynb"
    jobs = [(str(welcome), str(tmp_path / "welcome.json"), "0"), (str(student), str(tmp_path / "student.json"), "0"),
            (str(solution), str(tmp_path / "solved.json"), "1")]
    results = json.loads(run(python, str(runner), json.dumps(jobs)).splitlines()[-1])
    lap("lessons 00 and 01")

    for path, result in results.items():
        assert result["errors"] == [], f"{path}: {result['errors']}"
    assert f"lesson notebooks in {course.resolve() / 'notebooks'}" in results[str(welcome)]["text"], \
        results[str(welcome)]["text"][-2000:]
    student_text, solution_text = results[str(student)]["text"], results[str(solution)]["text"]
    got, total = map(int, re.search(r"Lesson 01: (\d+)/(\d+) points", student_text).groups())
    assert got == 0 and total > 0 and "not attempted yet" in student_text
    assert re.search(rf"Lesson 01: {total}/{total} points", solution_text), solution_text[-2000:]
    print(f"fresh venv from binder/: {timings}")
