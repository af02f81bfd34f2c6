"""Test data, one factory module per entity: organisations (and their API keys), lots,
events, provenance pages. A test builds what it needs with these, through the services or
the HTTP API as a user would, rather than copying dictionaries."""
