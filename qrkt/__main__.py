"""``python -m qrkt``: the ``qrkt`` command."""

import sys

from qrkt.cli import main

sys.exit(main())
