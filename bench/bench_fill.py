"""scikit-image peer for bench/bench_fill.c: inpaint_biharmonic on the same
RGB centre crops of a photograph, with the same holes (a centre quarter,
and the fixed pattern of about half the pixels). Prints "side kind
median_ms" lines (kind 0: centre quarter, 1: half the pixels).
Run by bench_fill (or: /usr/bin/python3 bench/bench_fill.py PHOTO 256,512 3)."""
import statistics
import sys
import time

import numpy as np
from skimage import io
from skimage.restoration import inpaint_biharmonic


def holes(kind, side):
    y, x = np.mgrid[0:side, 0:side]
    if kind == 0:
        return (y >= side // 4) & (y < 3 * side // 4) & (x >= side // 4) & (x < 3 * side // 4)
    return (x * 7 + y * 13 + (x * y) % 11) % 2 == 1


def main():
    photo = io.imread(sys.argv[1])
    photo = (np.dstack([photo] * 3) if photo.ndim == 2 else photo[..., :3]) / 255.0
    sides = [int(s) for s in sys.argv[2].split(",")]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    h, w = photo.shape[:2]
    for side in sides:
        crop = photo[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
        for kind in (0, 1):
            mask = holes(kind, side)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                inpaint_biharmonic(crop, mask, channel_axis=-1)
                times.append((time.perf_counter() - t0) * 1e3)
            print(side, kind, "%.1f" % statistics.median(times), flush=True)


if __name__ == "__main__":
    main()
