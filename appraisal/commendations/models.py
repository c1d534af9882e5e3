"""Commendations (Art. 23): filled in by the commendations feature."""
