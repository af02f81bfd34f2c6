"""Engine of the national product-traceability portal."""
