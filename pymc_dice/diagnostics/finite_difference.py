"""Black-box finite-difference CIG / AR-CIG: numpy only, so it also scores pymc-marketing
models without loading torch (the torch models' exact path is in ``influence``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np


def check_origins(origins, t_len: int, reach: int) -> np.ndarray:
    """Validate origins as an int array: each needs ``reach`` dates after it.

    Examples
    --------
    >>> check_origins([1, 2], t_len=5, reach=2).tolist()
    [1, 2]
    """
    o = np.asarray(origins.cpu() if hasattr(origins, "cpu") else origins, dtype=np.int64).reshape(
        -1
    )
    if o.size == 0:
        raise ValueError("origins is empty: pass at least one forecast origin")
    bad = o[(o < 0) | (o + reach > t_len - 1)]
    if bad.size:
        raise ValueError(
            f"origins {bad[:5].tolist()} leave fewer than {reach} dates after them in a window of "
            f"{t_len} dates; use origins in [0, {t_len - 1 - reach}] (see influence_origins)"
        )
    return o


def _accepts(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def cig_finite_difference(
    predict: Callable[..., np.ndarray],
    x,
    origins,
    *,
    delta: float = 1e-3,
    horizon: int = 1,
    sources: Sequence[int] | None = None,
    scheme: str = "central",
    offset: int = 1,
    batch_size: int = 2048,
    reduce: bool = True,
) -> np.ndarray:
    """CIG (``horizon=1``) or AR-CIG (``horizon=H``) of any black box by finite differences.

    Convention: ``predict(x_batch)`` takes inputs ``[B, T, N]`` and returns predictions
    ``[B, T, M]`` aligned on the time axis, ``pred[:, t]`` being the model's prediction of
    the outputs at date ``t`` given those inputs. The effect of a pulse on ``x_j`` at index
    ``t`` is read at indices ``t + offset + k`` for ``k = 0..horizon-1``:

        ``value[j, i] = mean_{series, t} sum_k |pred_i^+(t+offset+k) - pred_i^-(t+offset+k)| / (2 delta)``

    (``scheme="forward"``: ``|pred^+ - pred| / delta``). ``offset=1`` (default) is the
    The package's lag convention (docs/concepts.md, "The graph") (no instantaneous edges): a one-step model's ``pred[:, t+1]`` reads
    ``x[:, :t+1]``. A contemporaneous regression such as a pymc-marketing MMM, whose ``y(t)``
    reads spend at ``t``, would use ``offset=0``. For AR-CIG the black box must run closed
    loop (feed back its own predictions of non-channel nodes), since the finite difference
    only changes ``x_j(t)`` and leaves every observed future value untouched (channels stay
    exogenous); an MMM, which never reads observed outcomes, is closed loop by construction.

    Batching: one perturbed copy of its series per (series, origin, source, sign), stacked on
    the batch axis, ``batch_size`` rows per ``predict`` call. This is exact for any model,
    including recurrent ones with unbounded memory, where packing several pulses into one copy
    would let them interact. The cost is one full ``predict`` row per pulse and sign.

    If ``predict`` has a parameter ``series`` (or ``**kwargs``) it also receives the series
    index of each row (int array ``[B]``: to look up that series' controls, graph, geo); if it
    has ``origin``, the pulse origin of each row (needed by closed-loop rollouts, which start
    at the origin). Forward differences with an origin-aware ``predict`` evaluate one
    unperturbed baseline row per (series, origin).

    Parameters
    ----------
    predict : callable
        The black box, numpy in and out.
    x : array ``[S, T, N]``
        Inputs (any units; ``delta`` is in the same units).
    origins : sequence of int
        Pulse indices ``t``; ``t + offset + horizon - 1 <= T - 1``.
    delta : float
        Pulse size.
    horizon : int
        Steps summed, ``k = 0..horizon-1``.
    sources : sequence of int, optional
        Input nodes pulsed (default all ``N``); rows of the result follow this order.
    scheme : {"central", "forward"}
        Central differences are second-order accurate.
    offset : int
        Index of the first read relative to the pulse (see above).
    batch_size : int
        Rows per ``predict`` call.
    reduce : bool
        False returns per-series values ``[S, n_sources, M]``.

    Returns
    -------
    numpy.ndarray
        ``[n_sources, M]`` (float64).

    Examples
    --------
    A linear one-step model ``xhat(t+1) = x(t) @ W`` has ``CIG = |W|``:

    >>> W = np.array([[0.0, 2.0], [-1.0, 0.5]])
    >>> def predict(xb):
    ...     return np.concatenate([np.full_like(xb[:, :1], np.nan), xb[:, :-1] @ W], axis=1)
    >>> cig_finite_difference(predict, np.random.rand(3, 6, 2), [1, 2, 3]).round(6)
    array([[0. , 2. ],
           [1. , 0.5]])
    """
    x, o, src = _checked(
        x, origins, sources, delta=delta, horizon=horizon, offset=offset, scheme=scheme
    )
    call = _Caller(predict, x.shape[1])
    reads = np.arange(horizon) + offset
    baseline = _baseline(call, x, o, reads, batch_size) if scheme == "forward" else None
    acc = _pulse_sums(call, x, o, src, reads, delta, baseline, batch_size)
    per_series = acc / len(o)
    return per_series.mean(0) if reduce else per_series


def _checked(x, origins, sources, *, delta, horizon, offset, scheme):
    """``x`` as floats ``[S, T, N]``, the origins and the source indices, all checked."""
    if scheme not in ("central", "forward"):
        raise ValueError(f"scheme must be 'central' or 'forward', got {scheme!r}")
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta}")
    if horizon < 1 or offset < 0:
        raise ValueError(f"need horizon >= 1 and offset >= 0, got {horizon}, {offset}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must be [series, time, node], got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    n = x.shape[2]
    o = check_origins(origins, x.shape[1], offset + horizon - 1)
    src = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64).reshape(-1)
    if src.size == 0 or src.min() < 0 or src.max() >= n:
        raise ValueError(f"sources must be node indices in [0, {n - 1}], got {src.tolist()}")
    return x, o, src


class _Caller:
    """``predict`` called with the ``series`` / ``origin`` of each row when it takes them."""

    def __init__(self, predict: Callable[..., np.ndarray], t_len: int):
        self.predict, self.t_len = predict, t_len
        self.pass_series = _accepts(predict, "series")
        self.pass_origin = _accepts(predict, "origin")

    def __call__(self, xb: np.ndarray, series: np.ndarray, origin: np.ndarray | None):
        kw = {}
        if self.pass_series:
            kw["series"] = series
        if self.pass_origin:
            kw["origin"] = origin
        pred = np.asarray(self.predict(xb, **kw))
        if pred.ndim != 3 or pred.shape[:2] != xb.shape[:2]:
            raise ValueError(
                f"predict returned shape {pred.shape}; expected [{xb.shape[0]}, {self.t_len}, M]"
            )
        return pred


def _baseline(call: _Caller, x, o, reads, batch_size: int) -> np.ndarray:
    """Unperturbed predictions of the forward scheme: at the reads of each (series, origin)
    ``[S, n_origins, H, M]`` for an origin-aware ``predict``, else whole rows ``[S, T, M]``."""
    s_len, n_o = x.shape[0], len(o)
    if call.pass_origin:  # one baseline row per (series, origin), in chunks
        bs, bo = np.repeat(np.arange(s_len), n_o), np.tile(o, s_len)
        parts = []
        for a in range(0, bs.size, batch_size):
            sl = slice(a, a + batch_size)
            pred = call(x[bs[sl]].copy(), bs[sl], bo[sl])
            parts.append(pred[np.arange(len(bs[sl]))[:, None], bo[sl, None] + reads])
        return np.concatenate(parts).reshape(s_len, n_o, len(reads), -1)
    parts = [
        call(x[a : a + batch_size].copy(), np.arange(a, min(a + batch_size, s_len)), None)
        for a in range(0, s_len, batch_size)
    ]
    return np.concatenate(parts)


def _pulse_sums(call: _Caller, x, o, src, reads, delta, baseline, batch_size: int) -> np.ndarray:
    """Sum over origins of ``sum_k |finite difference|`` per series, source and output
    ``[S, n_sources, M]``: one perturbed copy of its series per (series, origin, source, sign),
    in (series, origin, source) order, series slowest; central differences without a
    ``baseline``, forward ones against it."""
    s_len, n_o, n_src = x.shape[0], len(o), len(src)
    s_idx = np.repeat(np.arange(s_len), n_o * n_src)
    o_idx = np.tile(np.repeat(o, n_src), s_len)
    j_pos = np.tile(np.arange(n_src), s_len * n_o)
    o_rank = np.tile(np.repeat(np.arange(n_o), n_src), s_len)
    signs = (1.0, -1.0) if baseline is None else (1.0,)
    per_call = max(1, batch_size // len(signs))
    acc = None
    for a in range(0, s_idx.size, per_call):
        sl = slice(a, a + per_call)
        ss, oo, jj, rr = s_idx[sl], o_idx[sl], src[j_pos[sl]], o_rank[sl]
        p = ss.size
        rows = np.arange(p)
        copies = []
        for sign in signs:
            xb = x[ss].copy()
            xb[rows, oo, jj] += sign * delta
            copies.append(xb)
        rep = len(signs)
        pred = call(np.concatenate(copies), np.tile(ss, rep), np.tile(oo, rep))
        read = pred[np.arange(p * rep)[:, None], np.tile(oo, rep)[:, None] + reads]  # [rows, H, M]
        if baseline is None:
            diff = (read[:p] - read[p:]) / (2.0 * delta)
        elif call.pass_origin:
            diff = (read - baseline[ss, rr]) / delta
        else:
            diff = (read - baseline[ss[:, None], oo[:, None] + reads]) / delta
        val = np.abs(diff).sum(1).astype(np.float64)  # [p, M]
        if acc is None:
            acc = np.zeros((s_len, n_src, val.shape[-1]))
        np.add.at(acc, (ss, j_pos[sl]), val)
    return acc
