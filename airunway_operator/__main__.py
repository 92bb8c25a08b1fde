"""`python -m airunway_operator` is the same as the `airunway-operator` console script."""

from airunway_operator.cli import entry

entry()
