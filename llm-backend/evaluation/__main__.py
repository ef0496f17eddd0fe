"""`python -m evaluation run ...` / `python -m evaluation compare A B` (see evaluation/cli.py)."""

import sys

from evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
