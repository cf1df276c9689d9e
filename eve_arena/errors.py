"""The one exception type users see: a problem with their input, told in one line."""


class UserError(Exception):
    """Bad input from the user: the message says what is wrong and what to do.

    The CLI prints it as one line without a traceback; anything else that escapes is a bug.
    """
