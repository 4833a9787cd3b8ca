"""justicegraph: a knowledge graph of the 1988 mass execution of political prisoners in Iran
and of the testimony about it, with every statement attributed to who made it."""

__version__ = "0.1.0"
