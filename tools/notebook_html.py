"""Convert executed notebooks to HTML pages with nbconvert, many in one process.

Used by tools/jupyter.ts (`openHtmlConverter`); not meant to be called by hand. Starting Python
and importing nbconvert costs about 1.5 CPU seconds, converting a page 0.3: one process for a
whole course run instead of one per notebook. Reads one JSON request per line on stdin,
  {"notebook": "out/notebooks/01.ipynb", "page": "out/html/01.html", "mathjax": "... or null"}
and answers each with one JSON line on stdout, {"ok": true} or {"ok": false, "message": "..."}.
The page is written atomically (a temporary file beside it, renamed over it): it is always either
the previous complete page or the new one. Ends at the end of its input.
"""

import errno
import json
import sys

from nbconvert import HTMLExporter

from atomic_file import write_atomically


def convert(request, exporters):
    mathjax = request.get("mathjax")
    exporter = exporters.get(mathjax)
    if exporter is None:
        exporter = HTMLExporter()
        if mathjax:
            exporter.mathjax_url = mathjax
        exporters[mathjax] = exporter
    body, _ = exporter.from_filename(request["notebook"])
    write_atomically(request["page"], lambda file: file.write(body))


def main():
    exporters = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            convert(json.loads(line), exporters)
            reply = {"ok": True}
        except OSError as error:
            reason = "no space left on device" if error.errno == errno.ENOSPC else str(error)
            reply = {"ok": False, "message": reason}
        except Exception as error:  # a broken notebook: say what, keep serving
            reply = {"ok": False, "message": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
