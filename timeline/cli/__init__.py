"""The `timeline` command: each command parses its options, makes one call to the Python API
(`timeline.api.OpsTimeline`) and prints. Errors become messages once, in `base.user_errors`."""

from timeline.cli import (  # noqa: F401 - they register commands
    admin,
    exporting,
    outputs,
    questions,
    serving,
    writing,
)
from timeline.cli.base import main

__all__ = ["main"]
