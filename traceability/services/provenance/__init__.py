"""What a consumer sees when scanning a code: the provenance view of a product, lot or item."""
