"""Imported by each bench script before the project's packages: run as `python bench/NAME.py`, the bench
folder leads sys.path, and `bench/warehouse.py` would hide the `warehouse` package."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
