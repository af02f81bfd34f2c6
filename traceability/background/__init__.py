"""Work that runs after the answer is sent and owns its transactions, as the command line and
the request dependency do: the capture job runner and its sweeper. Built on the portal."""
