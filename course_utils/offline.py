"""A socket guard for tests: any connection to a host other than this machine raises.

The course never downloads anything at run time; the test suite proves it by
installing this guard in the pytest process and in every notebook kernel.
"""
import socket

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


class OfflineError(OSError):
    """Raised instead of opening a connection to another machine."""


def _is_local(address):
    if not isinstance(address, tuple):  # a Unix socket path
        return True
    return str(address[0]) in LOCAL_HOSTS or str(address[0]).startswith("127.")


def install_socket_guard():
    """Make every later socket connection to a non-local address raise OfflineError."""
    if getattr(socket.socket, "_course_offline_guard", False):
        return

    class GuardedSocket(socket.socket):
        _course_offline_guard = True

        def connect(self, address):
            if not _is_local(address):
                raise OfflineError(f"the course runs offline: a connection to {address[0]} was blocked")
            return super().connect(address)

        def connect_ex(self, address):
            if not _is_local(address):
                raise OfflineError(f"the course runs offline: a connection to {address[0]} was blocked")
            return super().connect_ex(address)

    socket.socket = GuardedSocket
