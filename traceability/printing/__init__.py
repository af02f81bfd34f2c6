"""Printing GS1 Digital Link codes: QR symbols (matrix, PNG, SVG) and PDF label sheets."""
