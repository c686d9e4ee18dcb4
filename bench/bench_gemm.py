"""PyTorch peer for bench_gemm: float32 matmul GFLOP/s, medians of runs.
Run with Debian's /usr/bin/python3 (python3-torch)."""
import sys
import time

import torch

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
print("size threads gflops")
for threads in (1, 2):
    torch.set_num_threads(threads)
    for n in (256, 1024, 2048):
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        reps = 200 if n <= 256 else (10 if n <= 1024 else 2)
        torch.mm(a, b)
        res = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b)
            dt = (time.perf_counter() - t0) / reps
            res.append(2.0 * n ** 3 / dt * 1e-9)
        res.sort()
        print(n, threads, "%.1f" % res[len(res) // 2])
