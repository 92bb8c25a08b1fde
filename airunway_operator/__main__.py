"""`python -m airunway_operator` is the same as the `airunway-operator` console script."""

import sys

from airunway_operator.cli import main

sys.exit(main())
