"""`python -m supportstation` runs the same entry point as the console script."""

import sys

from supportstation.launcher import main

sys.exit(main())
