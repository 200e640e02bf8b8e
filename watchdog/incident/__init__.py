"""The incident report: one pair's story over a time window, read from the journal alone.

`collect` turns the journal into one JSON-able document (the `--json` twin); `page` draws that
document as a self-contained HTML page (inline CSS and SVG, no scripts, no fonts, no network), which
is what a post-incident review reads. Neither talks to the cloud or changes the journal.
"""

from watchdog.incident.collect import collect
from watchdog.incident.page import render

__all__ = ["collect", "render"]
