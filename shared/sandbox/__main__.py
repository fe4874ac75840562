import sys

from shared.sandbox.cli import main

sys.exit(main())
