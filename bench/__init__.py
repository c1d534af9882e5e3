"""The scale benchmark (issue 6): `python -m bench.run` — see bench/README.md."""
