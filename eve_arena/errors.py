"""The one exception type users see: a problem with their input, told in one line; and warnings alike."""

import sys


class UserError(Exception):
    """Bad input from the user: the message says what is wrong and what to do.

    The CLI prints it as one line without a traceback; anything else that escapes is a bug.
    """


_SAID: set[str] = set()


def warn(message: str) -> None:
    """One line on stderr for something the run works around (a world's renderer that fails,
    say), once per process: the CLI checks a run's settings before it starts the run."""
    if message not in _SAID:
        _SAID.add(message)
        print(f"eve-arena: warning: {message}", file=sys.stderr)
