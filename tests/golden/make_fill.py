"""Golden data for drift's hole filling under tension (tests/test_image_tasks.c),
written to tests/golden/fill.bin.

Regenerate with Debian's Python (numpy, scipy):
    /usr/bin/python3 tests/golden/make_fill.py

The fill minimises |L u|^2 + t |grad u|^2 over the hole pixels with the
kept pixels held, L the graph Laplacian of the 4-neighbour pixel grid
(each pixel: the sum of neighbour - centre over its neighbours inside the
picture), |grad u|^2 the sum of squared differences over the grid's edges
and t = 1/16. Its minimiser solves (L L - t L) u = 0 on the hole pixels,
solved here directly with scipy.sparse.linalg.spsolve in float64.

Contents (H = 36, W = 44, two planes):
- fill_values (2, H, W): a smooth field plus texture, the hole pixels set to -5;
- fill_known (H, W): 1 kept, 0 hole (a rectangle, a notch on the picture's
  edge and 30% random pixels);
- fill_tension (2, H, W): the exact fill.
"""
import os

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

import golden

HERE = os.path.dirname(os.path.abspath(__file__))
H, W, T = 36, 44, 1.0 / 16.0


def graph_laplacian(h, w):
    def path(n):
        m = sp.diags([np.ones(n - 1), -2 * np.ones(n), np.ones(n - 1)], [-1, 0, 1]).tolil()
        m[0, 0] = m[n - 1, n - 1] = -1
        return m.tocsr()
    return (sp.kron(sp.identity(h), path(w)) + sp.kron(path(h), sp.identity(w))).tocsr()


def main():
    rng = np.random.default_rng(20261127)
    y, x = np.mgrid[0:H, 0:W] / 10.0
    planes = np.stack([0.5 + 0.3 * np.sin(1.3 * x) * np.cos(0.7 * y) + 0.05 * rng.standard_normal((H, W)),
                       0.2 + 0.04 * x * y + 0.05 * rng.standard_normal((H, W))])
    known = rng.random((H, W)) > 0.3
    known[8:26, 10:33] = False
    known[0:6, 36:44] = False
    lap = graph_laplacian(H, W)
    a = (lap @ lap - T * lap).tocsr()
    hole = np.where(~known.ravel())[0]
    kept = np.where(known.ravel())[0]
    solve = sla.factorized(a[hole][:, hole].tocsc())
    filled = planes.copy()
    for k in range(2):
        u = filled[k].ravel()
        u[hole] = solve(-(a[hole][:, kept] @ u[kept]))
    values = planes.copy()
    values[:, ~known] = -5
    golden.write(os.path.join(HERE, "fill.bin"),
                 {"fill_values": values, "fill_known": known.astype(np.float32), "fill_tension": filled})


if __name__ == "__main__":
    main()
