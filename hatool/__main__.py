from __future__ import annotations

import sys

from hatool.cli import main

sys.exit(main())
