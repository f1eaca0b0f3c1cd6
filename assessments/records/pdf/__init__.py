"""The unit record as an A4 PDF (WeasyPrint): what a centre files and hands to an external verifier."""
