#!/usr/bin/env python
"""Command-line entry point of the demo project.

Run it from anywhere: it puts the repository root on ``sys.path`` so that the apps import
as ``demo.shop`` and ``demo.chinook`` and ``djai_dsl`` is found without installing it.
"""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.demo_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
