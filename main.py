"""Start Trigger Flow Designer: no arguments opens the editor, a sub-command runs the CLI."""

import sys

from designer.cli import main

if __name__ == "__main__":
    sys.exit(main())
