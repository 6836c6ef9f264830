"""One compute thread for torch and numpy's BLAS.

The course's models and matrices are tiny: splitting their work across threads
costs more in hand-offs than it saves, and on a busy 2-core laptop (or a test
runner with two workers) it makes small operations many times slower.
"""
import contextlib
import sys


def use_one_thread():
    """From now on, torch (if imported: see ``seed_everything``) and BLAS use one thread (a kernel calls this once)."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    threadpool_limits(1)


@contextlib.contextmanager
def one_thread():
    """Run the enclosed code on one torch thread, then restore the setting.

    Only when torch is already loaded: importing it here would make every check of a
    torch-free lesson pay for it (and the grader refuses library loading mid-check).
    BLAS threads are set once per process by :func:`use_one_thread`.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
