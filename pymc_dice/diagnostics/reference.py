"""Reference computations of CIG / AR-CIG, for tests and the benchmark.

The diagnostics compute CIG and AR-CIG exactly and vectorised
(:func:`pymc_dice.diagnostics.influence.cig` / ``ar_cig``); this module gives the same numbers
by the two other routes they are checked against:

- :func:`decoder_predictor` wraps a torch decoder as a numpy black box for
  :func:`pymc_dice.diagnostics.finite_difference.cig_finite_difference` (the route of any
  model, e.g. a pymc-marketing MMM);
- :func:`ar_cig_naive` / :func:`cig_naive` perturb one (series, origin, source) at a time, by
  central differences. Slow by design.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from pymc_dice.diagnostics.finite_difference import check_origins
from pymc_dice.diagnostics.influence import decoder_tensors, graph_values, param_like
from pymc_dice.nn.decoders import Decoder, rollout_steps, teacher_forced

__all__ = ["ar_cig_naive", "cig_naive", "decoder_predictor"]


# --------------------------------------------------------------------------------------------
# black-box finite differences
# --------------------------------------------------------------------------------------------


def decoder_predictor(
    decoder: Decoder,
    c,
    graph,
    n_channels: int,
    *,
    closed_loop: bool = False,
    horizon: int | None = None,
) -> Callable[..., np.ndarray]:
    """Wrap a torch decoder as a numpy black box for
    :func:`~pymc_dice.diagnostics.finite_difference.cig_finite_difference`.

    - ``closed_loop=False``: ``predict(x_batch, series)`` is the teacher-forced
      ``decoder.forward``; ``pred[:, t]`` is the one-step prediction of ``x(t)`` from
      ``x[:, :t]`` (``pred[:, 0]`` is NaN). With ``horizon=1`` this gives CIG.
    - ``closed_loop=True``: ``predict(x_batch, series, origin)`` rolls each row out closed
      loop for ``horizon`` steps from its own origin ``t`` (channels fed observed, the rest fed
      back) and puts the forecasts at ``pred[:, t+1 .. t+horizon]`` (NaN elsewhere). With
      the same ``horizon`` this gives AR-CIG.

    Rows are mapped to their series (for controls and per-series graphs) by ``series``. The
    computation runs in the decoder's dtype, without gradients.

    Parameters
    ----------
    decoder : Decoder
    c : array ``[S, T, C]`` or None
        Controls of the panel whose series ``series`` indexes.
    graph : array ``[N, N]`` or ``[S, N, N]``
    n_channels : int
    closed_loop : bool
    horizon : int, optional
        Rollout length, required with ``closed_loop=True``.

    Examples
    --------
    >>> from pymc_dice.diagnostics.influence import cig, cig_finite_difference
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> _ = torch.manual_seed(0)
    >>> dec = GraphSafeDecoder(3, 0, hidden=4).double()
    >>> x, g = np.random.rand(2, 8, 3), np.ones((3, 3))
    >>> fd = cig_finite_difference(decoder_predictor(dec, None, g, 1), x, [3, 4], delta=1e-5)
    >>> bool(np.allclose(fd, cig(dec, x, None, g, [3, 4], 1), rtol=1e-5, atol=1e-9))
    True
    """
    if closed_loop and (horizon is None or horizon < 1):
        raise ValueError("closed_loop=True needs horizon >= 1")
    device, dtype = param_like(decoder)
    g_all = torch.as_tensor(graph_values(graph), dtype=dtype, device=device)
    c_all = None if c is None else torch.as_tensor(c, dtype=dtype, device=device)

    def inputs(x_batch, series):
        xb = torch.as_tensor(x_batch, dtype=dtype, device=device)
        b, t_len, n = xb.shape
        series = torch.as_tensor(np.asarray(series), device=device)
        cb = xb.new_zeros(b, t_len, decoder.n_controls) if c_all is None else c_all[series]
        gb = g_all[series] if g_all.dim() == 3 else g_all.expand(b, n, n)
        return xb, cb, gb

    def teacher(x_batch, series):
        xb, cb, gb = inputs(x_batch, series)
        with torch.no_grad():
            pred = teacher_forced(decoder, xb, cb, gb, series=series)
        nan = torch.full_like(xb[:, :1], float("nan"))
        return torch.cat([nan, pred], 1).cpu().numpy()

    def rolled(x_batch, series, origin):
        xb, cb, gb = inputs(x_batch, series)
        b, _, n = xb.shape
        origin = torch.as_tensor(np.asarray(origin), device=device)
        rows = torch.arange(b, device=device)
        out = torch.full_like(xb, float("nan"))
        with torch.no_grad():
            stop = int(origin.max()) + 2  # origin + 1 <= T - 1 always holds here
            _, states = teacher_forced(
                decoder, xb[:, :stop], cb[:, :stop], gb, series=series, return_states=True
            )
            steps = [origin + k + 1 for k in range(horizon)]
            preds = rollout_steps(
                decoder,
                states[rows, origin],
                xb[rows, origin],
                [xb[rows, idx] for idx in steps],
                [cb[rows, idx] for idx in steps],
                gb,
                n_channels,
            )
            for k, idx in enumerate(steps):
                out[rows, idx] = preds[:, k]
        return out.cpu().numpy()

    return rolled if closed_loop else teacher


# --------------------------------------------------------------------------------------------
# naive reference (tests and benchmark only)
# --------------------------------------------------------------------------------------------


def ar_cig_naive(
    decoder: Decoder,
    x,
    c,
    graph,
    origins,
    n_channels: int,
    horizon: int = 7,
    *,
    delta: float = 1e-4,
    reduce: bool = True,
) -> np.ndarray:
    """Reference AR-CIG: central differences, one (series, origin, source) pulse at a time.

    Python loops over series, origins, sources and signs; each pulse re-runs the ``horizon``
    closed-loop steps of one row from the state of a teacher-forced pass of its series. Slow
    by design: only for tests and the benchmark. Arguments as in
    :func:`~pymc_dice.diagnostics.influence.ar_cig`.

    Examples
    --------
    >>> from pymc_dice.diagnostics.influence import ar_cig
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> _ = torch.manual_seed(0)
    >>> dec = GraphSafeDecoder(3, 0, hidden=4).double()
    >>> x, g = np.random.rand(1, 6, 3), np.ones((3, 3))
    >>> ref = ar_cig_naive(dec, x, None, g, [1, 2], 1, horizon=2, delta=1e-6)
    >>> bool(np.allclose(ref, ar_cig(dec, x, None, g, [1, 2], 1, horizon=2), rtol=1e-6))
    True
    """
    x, c, graph = decoder_tensors(decoder, x, c, graph)
    s_len, t_len, n = x.shape
    o_np = check_origins(origins, t_len, horizon)
    same_date = bool(getattr(decoder, "uses_exog", False)) and n_channels > 0
    out = np.zeros((s_len, n, n))
    with torch.no_grad():
        for s in range(s_len):
            g = graph[s : s + 1] if graph.dim() == 3 else graph.unsqueeze(0)
            _, states = teacher_forced(
                decoder, x[s : s + 1], c[s : s + 1], g, series=[s], return_states=True
            )
            for t in o_np:
                for j in range(n):
                    if same_date and j < n_channels:  # k = 0: the channel's own date
                        zero = []
                        for sign in (1.0, -1.0):
                            e = x[s : s + 1, t, :n_channels].clone()
                            e[0, j] += sign * delta
                            zero.append(
                                decoder.step(
                                    states[:, t - 1],
                                    x[s : s + 1, t - 1],
                                    c[s : s + 1, t],
                                    g,
                                    exog_next=e,
                                )[1][0]
                            )
                        diff0 = (zero[0] - zero[1]).abs() / (2.0 * delta)
                        diff0[:n_channels] = 0.0  # channels are given, not predicted
                        out[s, j] += diff0.double().cpu().numpy()
                    reads = []
                    for sign in (1.0, -1.0):
                        x_in = x[s : s + 1, t].clone()
                        x_in[0, j] += sign * delta
                        steps = range(t + 1, t + horizon + 1)
                        preds = rollout_steps(
                            decoder,
                            states[:, t],
                            x_in,
                            [x[s : s + 1, k] for k in steps],
                            [c[s : s + 1, k] for k in steps],
                            g,
                            n_channels,
                        )
                        reads.append(preds[0])
                    diff = (reads[0] - reads[1]).abs().sum(0) / (2.0 * delta)
                    out[s, j] += diff.double().cpu().numpy()
    out /= len(o_np)
    return out.mean(0) if reduce else out


def cig_naive(
    decoder: Decoder, x, c, graph, origins, n_channels: int, *, delta: float = 1e-4, reduce=True
) -> np.ndarray:
    """Reference CIG: :func:`ar_cig_naive` with ``horizon=1`` (tests and benchmark only).

    Examples
    --------
    >>> from pymc_dice.diagnostics.influence import cig
    >>> from pymc_dice.nn.decoders import GraphSafeDecoder
    >>> _ = torch.manual_seed(0)
    >>> dec = GraphSafeDecoder(3, 0, hidden=4).double()
    >>> x, g = np.random.rand(1, 6, 3), np.ones((3, 3))
    >>> bool(np.allclose(cig_naive(dec, x, None, g, [2], 1, delta=1e-6),
    ...                  cig(dec, x, None, g, [2], 1), rtol=1e-6))
    True
    """
    return ar_cig_naive(decoder, x, c, graph, origins, n_channels, 1, delta=delta, reduce=reduce)
