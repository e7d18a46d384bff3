"""Atomic text files for the project's Python helpers (execute_notebook.py, notebook_html.py)."""

import os


def write_atomically(path, write):
    """Call `write(file)` on a temporary file beside `path`, then rename it over `path`.

    `path` is always either its previous complete contents or the new ones, never part of them;
    on any error the temporary file is removed and the error raised.
    """
    folder, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except OSError:
            pass
        raise
