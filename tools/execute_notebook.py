"""Execute one notebook with Jupyter's nbclient and the project's Deno kernel.

Used by tools/reproduce.ts (the course's runner); not meant to be called by hand.
Prints one JSON object per line on stdout for the runner to show progress:
  {"event": "start", "cells": N}
  {"event": "cell", "index": i, "done": k, "cells": N, "seconds": s}
  {"event": "error", "index": i, "message": "..."}
  {"event": "write_error", "message": "..."}   (the executed notebook could not be written)
  {"event": "end", "ok": true|false}
With --allow-errors (the grader) every cell runs even after errors, and it also prints
  {"event": "check", "index": i, "exercise": "...", "pass": b, "message": "..."}   (a check cell's result)
  {"event": "cell_error", "index": i, "message": "..."}   (an error output of cell i)
The executed notebook is written to OUTPUT even when a cell fails, so its outputs can be read.
It is written atomically (a temporary file beside it, renamed over it): OUTPUT is always either
the previous complete notebook or the new one.
"""

import argparse
import errno
import json
import queue
import secrets
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from atomic_file import write_atomically


def emit(**event):
    print(json.dumps(event), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("output")
    parser.add_argument("--cwd", required=True)
    parser.add_argument("--timeout", type=int, required=True, help="seconds per cell")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--allow-errors", action="store_true",
                        help="run every cell even after errors; report checks and errors")
    args = parser.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    emit(event="start", cells=len(code_cells))
    started = time.monotonic()
    done = 0
    current = -1  # index of the cell being executed

    def on_cell_start(cell, cell_index):
        nonlocal current
        current = cell_index

    async def on_cell_executed(cell, cell_index, execute_reply):
        nonlocal done
        await collect_late_outputs(client, cell, cell_index, execute_reply)
        if args.allow_errors:
            report_outputs(cell, cell_index, execute_reply)
        done += 1
        emit(event="cell", index=cell_index, done=done, cells=len(code_cells),
             seconds=round(time.monotonic() - started, 2))

    client = NotebookClient(
        nb,
        timeout=args.timeout,
        allow_errors=args.allow_errors,
        kernel_name=args.kernel,
        resources={"metadata": {"path": args.cwd}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    ok = True
    try:
        client.execute()
    except CellTimeoutError as error:
        ok = False
        emit(event="error", index=current,
             message=f"cell timed out after {args.timeout} s: {first_line(error)}")
    except CellExecutionError as error:
        ok = False
        emit(event="error", index=current, message=first_line(error))
    except DeadKernelError as error:
        ok = False
        emit(event="error", index=current,
             message=f"kernel died: {first_line(error)}")
    try:
        write_atomically(args.output, lambda file: nbformat.write(nb, file))
    except OSError as error:
        ok = False
        reason = "no space left on device" if error.errno == errno.ENOSPC else error.strerror
        emit(event="write_error", message=f"cannot write {args.output}: {reason}")
    emit(event="end", ok=ok)
    return 0 if ok else 1


CHECK_MIME = "application/vnd.course.check+json"


def report_outputs(cell, cell_index, execute_reply):
    """Print the check results and error outputs of a cell (for the grader)."""
    content = (execute_reply or {}).get("content", {})
    has_error_output = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    if content.get("status") == "error" and not has_error_output:
        emit(event="cell_error", index=cell_index,
             message=f"{content.get('ename')}: {content.get('evalue')}")
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if CHECK_MIME in data:
            result = data[CHECK_MIME]
            if isinstance(result, str):
                result = json.loads(result)
            emit(event="check", index=cell_index, exercise=str(result.get("exercise")),
                 message=str(result.get("message")), **{"pass": bool(result.get("pass"))})
        if output.get("output_type") == "error":
            emit(event="cell_error", index=cell_index,
                 message=f"{output.get('ename')}: {output.get('evalue')}")


LATE_OUTPUT_TYPES = {"stream", "display_data", "update_display_data", "execute_result", "error"}

QUIET_SECONDS = 0.1

FENCE = {"works": True}  # False after a fence did not come back: later cells wait for quiet


async def collect_late_outputs(client, cell, cell_index, execute_reply, fence_seconds=5.0):
    """Keep the outputs the Deno kernel sends after reporting the cell idle.

    The kernel forwards console.log and console.error output asynchronously (a pipe per stream,
    read by another thread), so a cell's last stream message can arrive after the "idle" status
    at which nbclient stops listening; nbclient would drop it (seen: a cell's last console.log
    line missing in about one run of four). So after each cell a fence goes down both pipes: a
    silent request (no execution count, no history) prints a random token to stdout and to
    stderr. The pipes keep their order, so once both tokens are back, everything the cell wrote
    before them is too. Until then this cell's messages are added to its outputs, and so is
    stream text that the kernel labels with the fence's request (output that left the pipe after
    the fence's request came in is sent as the fence's), the tokens taken out.

    A fence that does not come back within `fence_seconds` (a cell that replaced console.log, a
    kernel gone) ends the wait, what arrived is kept, and the notebook's later cells fall back to
    waiting for `QUIET_SECONDS` of quiet, the older way (which may miss a late line). The fence
    costs one round trip a cell, where waiting for 0.1 s of quiet cost 0.1 s.
    """
    parent = (execute_reply or {}).get("parent_header", {}).get("msg_id")
    if parent is None:
        return
    if not FENCE["works"]:
        await collect_until_quiet(client, cell, cell_index, parent)
        return
    token = f"course-output-fence-{secrets.token_hex(16)}"
    fence = client.kc.execute(
        f'console.log("{token}"); console.error("{token}");',
        silent=True,
        store_history=False,
    )
    pending = {"stdout", "stderr"}
    deadline = time.monotonic() + fence_seconds
    while pending:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise queue.Empty()
            msg = await client.kc.iopub_channel.get_msg(timeout=remaining)
        except queue.Empty:
            FENCE["works"] = False
            return
        origin = msg.get("parent_header", {}).get("msg_id")
        if origin == parent and msg["msg_type"] in LATE_OUTPUT_TYPES:
            client.process_message(msg, cell, cell_index)
        elif origin == fence and msg["msg_type"] == "stream":
            name = msg["content"].get("name")
            text = msg["content"].get("text", "")
            if token in text:
                pending.discard(name)
                text = text.replace(token + "\n", "").replace(token, "")
            if text:
                late = dict(msg, parent_header={**msg["parent_header"], "msg_id": parent})
                late["content"] = {**msg["content"], "text": text}
                client.process_message(late, cell, cell_index)


async def collect_until_quiet(client, cell, cell_index, parent):
    """Add this cell's messages to its outputs until IOPub has been quiet for QUIET_SECONDS."""
    while True:
        try:
            msg = await client.kc.iopub_channel.get_msg(timeout=QUIET_SECONDS)
        except queue.Empty:
            return
        if msg.get("parent_header", {}).get("msg_id") == parent and \
                msg["msg_type"] in LATE_OUTPUT_TYPES:
            client.process_message(msg, cell, cell_index)


def first_line(error):
    text = str(error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
