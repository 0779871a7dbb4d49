"""Lab placement matching: stable and welfare-optimal, explained and independently verified.

Pure Python apart from numpy and OR-Tools for welfare mode, which are imported only when a
welfare placement is computed; it knows nothing of the web or the database.
"""

from .api import MODES, rematch, solve
from .errors import InstanceError
from .verify import verify

__all__ = ["MODES", "InstanceError", "rematch", "solve", "verify"]
