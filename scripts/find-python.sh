#!/usr/bin/env bash
# Print the path of the first Python >= 3.12 found: python3.13, python3.12, then pyenv's versions.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in "${PYTHON:-}" python3.13 python3.12 python3; do
  [ -n "$cand" ] || continue
  if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then command -v "$cand"; exit 0; fi
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for cand in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -V); do
  for exe in "$cand/bin/python3"; do
    if [ -x "$exe" ] && ok "$exe"; then echo "$exe"; exit 0; fi
  done
done
echo "error: no Python >= 3.12 found (tried python3.13, python3.12, python3 and pyenv versions); install one or set PYTHON=/path/to/python3.12" >&2
exit 1
