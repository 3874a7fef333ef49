#!/usr/bin/env bash
# GPU checks in one command, from the repository root with .venv: the CUDA tests, then the
# series-scaling benchmark of the default DiceMMM on CUDA (a table of seconds and peak memory
# per S). Without a CUDA device the CUDA parts are skipped with a message and the benchmark
# runs its smallest size on the CPU, so the script itself is checked anywhere.
#
#   bash benchmarks/gpu.sh [SIZES]    # SIZES default 100,1000,10000 on CUDA
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "== CUDA: $("$PY" -c 'import torch; print(torch.cuda.get_device_name(0))')"
  "$PY" -m pytest tests/test_cuda.py tests/test_precision.py -q -p no:cacheprovider --run-slow
  SIZES=${1:-100,1000,10000}
  DEVICE=cuda
  THREADS=4
else
  echo "== no CUDA device: tests/test_cuda.py skipped; benchmark on the CPU at its smallest size"
  "$PY" -m pytest tests/test_cuda.py -q -p no:cacheprovider -rs | tail -n 3
  SIZES=${1:-100}
  DEVICE=cpu
  THREADS=1
fi
echo "== series scaling of the default DiceMMM (geo_panel, 156 weeks x 10 nodes) on $DEVICE"
"$PY" benchmarks/bench_scaling_series.py --sizes "$SIZES" --device "$DEVICE" \
  --threads "$THREADS" ${BENCH_ARGS:-}
