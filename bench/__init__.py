"""redress load bench: `python -m bench [--scale small|full] [--out DIR]`.

Starts its own Temporal dev server, redress worker and API (separate processes, all on
127.0.0.1, data in a temporary folder), drives them with bounded load, and writes a table,
JSON and a PNG into `bench/out/`.
"""
