"""EPCIS query subscriptions (REST binding, webhooks): pure rules, no web or database.

The schedule of a scheduled query, the GS1-Signature a delivery carries, the check that a
``dest`` is a public http(s) URL, and the capped exponential backoff between tries."""
