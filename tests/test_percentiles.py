"""The metrics' own percentiles equal NumPy's default (linear) ``np.percentile`` bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from socsim.metrics import percentiles

finite = st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=1, max_size=80),
       st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=5))
def test_percentiles_equal_numpys(values: list[float], qs: list[float]) -> None:
    assert percentiles(values, qs) == np.percentile(values, qs).tolist()


def test_ties_and_one_value() -> None:
    assert percentiles([7.0], [0, 50, 100]) == [7.0, 7.0, 7.0]
    assert percentiles([1.0, 1.0, 3.0, 3.0], [50, 95]) == [2.0, 3.0]
