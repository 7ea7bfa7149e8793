#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Renders the figures of the manual from their text sources (graphviz, Debian's `graphviz`):
# docs/figures/*.dot -> docs/figures/*.svg. Run after changing a .dot file; the SVGs are committed.
set -euo pipefail
cd "$(dirname "$0")"
command -v dot >/dev/null || { echo "render.sh: needs graphviz (apt-get install graphviz)" >&2; exit 1; }
for source in *.dot; do
  dot -Tsvg "$source" -o "${source%.dot}.svg"
  echo "${source%.dot}.svg"
done
