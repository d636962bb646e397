"""The one exception type the desk sees: a message that says what is wrong and what to do."""


class SupportKitError(Exception):
    """A problem an agent can fix (a setting, a file, an id), with a message that says how.

    >>> str(SupportKitError("Customer 42 is not in the customer file."))
    'Customer 42 is not in the customer file.'
    """
