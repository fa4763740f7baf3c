"""`python -m supportstation` runs the same entry point as the console script."""

import sys

from supportstation.cli import main

sys.exit(main())
