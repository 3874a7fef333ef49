"""The project's error classes: one base class, so callers can catch every pymc-dice error.

Every error is a ``ValueError`` (bad input, file or call), printed by the CLI as one line
with exit code 2.

Examples
--------
>>> from pymc_dice.exceptions import DataValidationError, PymcDiceError
>>> issubclass(DataValidationError, PymcDiceError) and issubclass(PymcDiceError, ValueError)
True
"""

from __future__ import annotations


class PymcDiceError(ValueError):
    """Base class of every error pymc-dice raises on purpose.

    Examples
    --------
    >>> raise PymcDiceError("something is off: fix it like this")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.PymcDiceError: something is off: fix it like this
    """


class DataValidationError(PymcDiceError):
    """Bad input data: the message names the column, the offending values or rows, and the fix.

    Examples
    --------
    >>> raise DataValidationError("channel 'tv' has negative spend -1.0: spend must be >= 0")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.DataValidationError: channel 'tv' has negative spend -1.0: ...
    """


class NotFittedError(PymcDiceError, RuntimeError):
    """The model has not been fitted yet: call ``fit`` first.

    Also a ``RuntimeError``, as scikit-learn's ``NotFittedError`` is.

    Examples
    --------
    >>> issubclass(NotFittedError, RuntimeError)
    True
    """


class ModelFileError(PymcDiceError):
    """A save file that is not a DiceMMM file, is corrupted, was modified, or would be overwritten.

    Examples
    --------
    >>> raise ModelFileError("model.nc is not a DiceMMM save file")
    Traceback (most recent call last):
    ...
    pymc_dice.exceptions.ModelFileError: model.nc is not a DiceMMM save file
    """


class ConfigError(PymcDiceError):
    """An unknown or invalid setting, with a did-you-mean hint where one applies.

    Examples
    --------
    >>> issubclass(ConfigError, ValueError)
    True
    """


class CliError(PymcDiceError):
    """A usage or input error of the command line: printed as one line, exit code 2.

    Examples
    --------
    >>> issubclass(CliError, PymcDiceError)
    True
    """
