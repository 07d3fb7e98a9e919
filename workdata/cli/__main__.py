"""`python -m workdata.cli`."""

import sys

from workdata.cli import main

sys.exit(main())
