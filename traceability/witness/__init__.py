"""A C2SP tlog-witness: cosigns the log's checkpoints that extend the last one it cosigned.

Runs with nothing but this package (``traceability witness serve``): the standard library's
HTTP server, a state file, and the pure checks of traceability.log.witness_protocol.
"""
