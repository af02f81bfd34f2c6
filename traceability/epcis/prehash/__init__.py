"""The pre-hash string of an EPCIS event (CBV 2.0 section 8.9), rule by rule."""
