"""Links that businesses manage on the resolver: anchors, the GS1 link type vocabulary and the
rules that pick a link for a request. Pure: no web, database or cache import."""
