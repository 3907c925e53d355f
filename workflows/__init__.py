"""Workflows: the case kernel, one module per kind of case, and the retention purge.
The worker finds each kind's workflow through the registry (`redress.kinds`)."""
