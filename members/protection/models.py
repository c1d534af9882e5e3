"""Protection cases (Art. 24): filled in by the protection feature."""
