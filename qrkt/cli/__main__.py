"""``python -m qrkt.cli``: the ``qrkt`` command."""

import sys

from qrkt.cli import main

sys.exit(main())
