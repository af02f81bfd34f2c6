"""A C2SP tlog-mirror of the portal's log: copied through its tiles, every tile checked
against a checkpoint signed by the log key, kept in the tlog-tiles layout on disk and
served from there as static files."""

from traceability.mirror.copy import MirrorResult, copy_log
from traceability.mirror.layout import MirrorDirectory
from traceability.mirror.source import TileSource

__all__ = ["MirrorDirectory", "MirrorResult", "TileSource", "copy_log"]
