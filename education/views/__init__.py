"""education/ pages: thin — check, read or call one service, render.

Objects are fetched through the user's scope (404 outside it); a logged-in user who lacks a
permission gets 403.

The views live in one module per use case; urls.py imports the modules.
"""
