"""A free TCP port on 127.0.0.1, for the tests that start a local server (JupyterLab, JupyterHub)."""
import socket


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
