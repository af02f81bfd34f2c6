"""The public side: the GS1 Digital Link resolver, its cache and its negotiation."""
