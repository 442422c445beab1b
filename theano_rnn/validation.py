"""Argument checks shared by the whole package (one home for each rule).

Every check raises ``ValueError`` naming the argument; the callers choose
the wording of the expectation, so the messages users see stay those of the
module they called.
"""
import numbers


def is_integer(value):
    """Whether ``value`` is an integer (Python or NumPy), ``bool`` excluded."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral)


def check_int(value, argument, minimum=None, allow_none=False):
    """``int(value)`` if it is an integer ``>= minimum`` (or ``None`` when
    ``allow_none``), else ``ValueError`` naming ``argument``."""
    if value is None and allow_none:
        return None
    if not is_integer(value) or (minimum is not None and value < minimum):
        raise ValueError("%s must be %san integer%s, got %r"
                         % (argument, "None or " if allow_none else "",
                            "" if minimum is None else " >= %d" % minimum,
                            value))
    return int(value)
