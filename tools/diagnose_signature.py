"""Diagnose "Invalid Signature" from jupyter_client on messages of the Deno kernel.

Runs tools/execute_notebook.py with jupyter_client's Session.deserialize wrapped: every message
whose HMAC does not verify is written to LOG with its frame sizes, the first bytes of each frame,
and the HMAC recomputed over shifted windows of frames (a match at another offset means frames of
two messages were interleaved or one was dropped). The last line of LOG counts the messages seen.

  JUPYTER_PATH=jupyter python3 tools/diagnose_signature.py LOG NOTEBOOK OUTPUT --cwd DIR --timeout S

Not used by the runner; kept for the next time the failure appears.
"""

import atexit
import os
import runpy
import sys

from jupyter_client import session as jupyter_session


def main():
    log_path, rest = sys.argv[1], sys.argv[2:]
    log = open(log_path, "a", encoding="utf-8")
    seen = {"messages": 0, "bad": 0}
    original = jupyter_session.Session.deserialize

    def deserialize(self, msg_list, content=True, copy=True):
        seen["messages"] += 1
        try:
            return original(self, msg_list, content=content, copy=copy)
        except ValueError as error:
            seen["bad"] += 1
            frames = [bytes(f.bytes) if hasattr(f, "bytes") else bytes(f) for f in msg_list]
            log.write(f"=== {str(error)[:120]}\n frame sizes {[len(f) for f in frames]}\n")
            for i, frame in enumerate(frames[:8]):
                log.write(f" [{i}] {frame[:300]!r}\n")
            for start in range(max(1, len(frames) - 4)):
                digest = self.auth.copy()
                for frame in frames[start + 1:start + 5]:
                    digest.update(frame)
                log.write(f" hmac of frames {start + 1}..{start + 4}: {digest.hexdigest()}\n")
            log.flush()
            raise

    jupyter_session.Session.deserialize = deserialize
    atexit.register(lambda: log.write(
        f"--- {seen['messages']} messages deserialized, {seen['bad']} failed verification\n"))
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "execute_notebook.py")
    sys.argv = [script] + rest
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
