"""Doctest namespace: the toy model of ``tests/toy_models.py`` as ``toy_demo``.

Examples in the package that need a fitted model call ``toy_demo()``, which returns the toy
adapter ``y(t) = 2 tv(t - 1)`` fitted on the first 8 of 12 weekly dates, and its data frame.
"""

import pytest

from tests.toy_models import demo


@pytest.fixture(autouse=True)
def _toy_demo_in_doctests(doctest_namespace):
    doctest_namespace["toy_demo"] = demo
