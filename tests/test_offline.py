"""Tests run offline: remote connections are blocked here and inside notebook kernels."""
import socket

import pytest

from course_utils.offline import OfflineError


def test_remote_connections_are_blocked():
    with pytest.raises(OfflineError):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_local_connections_still_work():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()


def test_kernels_get_the_guard(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from course_utils.execution import execute

    path = tmp_path / "probe.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(
        "import socket\ntry:\n    socket.create_connection(('93.184.216.34', 80), timeout=1)\n    print('connected')\n"
        "except OSError as error:\n    print(type(error).__name__)")]), path)
    nb = execute(path, strict=False, write=False)
    assert nb.cells[0].outputs[0]["text"].strip() == "OfflineError"
