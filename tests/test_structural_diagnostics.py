"""CIG / AR-CIG of the structural decoder, whose channels act on their own date (k = 0)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pymc_dice.diagnostics.influence import ar_cig, cig
from pymc_dice.diagnostics.reference import ar_cig_naive, cig_naive
from pymc_dice.nn.structural import StructuralDecoder

N_CH = 2  # nodes: tv, radio (channels), visits (mediator), y (target)


def _decoder(seed: int = 0, **kw) -> StructuralDecoder:
    torch.manual_seed(seed)
    dec = StructuralDecoder(4, 1, n_channels=N_CH, n_series=3, max_lag=3, **kw).double()
    with torch.no_grad():
        for p in dec.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return dec


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 1.0, (3, 12, 4)), rng.uniform(0, 1, (3, 12, 1))


GRAPH = np.zeros((4, 4))
GRAPH[0, 2] = GRAPH[2, 3] = GRAPH[1, 3] = 1.0  # tv -> visits -> y, radio -> y


@pytest.mark.parametrize("carryover", ["geometric", "delayed", "free"])
def test_exact_influence_matches_the_naive_reference(carryover):
    dec = _decoder(carryover=carryover)
    x, c = _data()
    origins = [4, 6, 8]
    # central differences of a smooth model in float64: agreement to 1e-6 relative
    ref = ar_cig_naive(dec, x, c, GRAPH, origins, N_CH, horizon=3, delta=1e-6)
    np.testing.assert_allclose(
        ar_cig(dec, x, c, GRAPH, origins, N_CH, horizon=3), ref, rtol=1e-6, atol=1e-10
    )
    ref1 = cig_naive(dec, x, c, GRAPH, origins, N_CH, delta=1e-6)
    np.testing.assert_allclose(cig(dec, x, c, GRAPH, origins, N_CH), ref1, rtol=1e-6, atol=1e-10)


def test_a_same_week_only_channel_still_has_its_edge():
    # all carryover weight on lag 0: without the k = 0 term radio -> y would score exactly 0
    dec = _decoder()
    with torch.no_grad():
        dec.decay_raw.fill_(-30.0)  # geometric decay ~ 0: the whole kernel is lag 0
    x, c = _data(1)
    score = cig(dec, x, c, GRAPH, [4, 5, 6], N_CH)
    assert score[1, 3] > 1e-3  # radio -> y on its own date
    assert score[0, 3] == 0.0  # tv reaches y only through visits, a step later: no 1-step path


def test_influence_is_exactly_zero_without_a_path():
    dec = _decoder(2)
    x, c = _data(2)
    score = ar_cig(dec, x, c, GRAPH, [4, 6], N_CH, horizon=4)
    # no path into channels, and none from y to another node (y -> y is its own lag, rho)
    assert (score[:, :N_CH] == 0).all() and (score[3, :3] == 0).all() and score[3, 3] > 0
    # radio reaches neither visits nor tv
    assert score[1, 2] == 0.0
    assert score[0, 3] > 0  # tv -> visits -> y within 4 steps
