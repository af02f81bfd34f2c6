"""What a consumer sees when scanning a code: the provenance view of a product, lot or item
(``model``), built by ``service`` from the registry and the ledger, with ``scans`` judging
whether an item's scans look like a copied label."""
