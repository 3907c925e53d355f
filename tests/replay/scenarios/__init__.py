"""Each kind's replay scenarios, one module per kind (its registry entry names it)."""
