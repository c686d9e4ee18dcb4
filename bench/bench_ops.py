"""PyTorch peer for bench_ops: the same operators and shapes, forward +
backward, 2 threads, median ms. Run with /usr/bin/python3."""
import sys
import time

import torch
import torch.nn.functional as F

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
torch.set_num_threads(2)


def attention(q, k, v):
    return torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1) @ v


CASES = [
    ("conv3x3 32->32 @32x32", [(32, 32, 32, 32), (32, 32, 3, 3), (32,)], lambda x, w, b: F.conv2d(x, w, b, 1, 1)),
    ("conv3x3 64->64 @16x16", [(32, 64, 16, 16), (64, 64, 3, 3), (64,)], lambda x, w, b: F.conv2d(x, w, b, 1, 1)),
    ("conv3x3 128->128 @8x8", [(32, 128, 8, 8), (128, 128, 3, 3), (128,)], lambda x, w, b: F.conv2d(x, w, b, 1, 1)),
    ("conv3x3/2 32->32 @32x32", [(32, 32, 32, 32), (32, 32, 3, 3), (32,)], lambda x, w, b: F.conv2d(x, w, b, 2, 1)),
    ("conv1x1 96->64 @16x16", [(32, 96, 16, 16), (64, 96, 1, 1), (64,)], lambda x, w, b: F.conv2d(x, w, b)),
    ("conv1d k3 80->32 @128", [(32, 80, 128), (32, 80, 3), (32,)], lambda x, w, b: F.conv1d(x, w, b, 1, 1)),
    ("linear 128->384 (32x64 tokens)", [(32, 64, 128), (384, 128), (384,)], F.linear),
    ("group_norm(8) 32 @32x32", [(32, 32, 32, 32), (32,), (32,)], lambda x, g, b: F.group_norm(x, 8, g, b)),
    ("silu 32 @32x32", [(32, 32, 32, 32)], F.silu),
    ("add_channel 32 @32x32", [(32, 32, 32, 32), (32, 32)], lambda x, v: x + v[:, :, None, None]),
    ("upsample2x 64 @16x16", [(32, 64, 16, 16)], lambda x: F.interpolate(x, scale_factor=2, mode="nearest")),
    ("concat 32+32 @32x32", [(32, 32, 32, 32), (32, 32, 32, 32)], lambda a, b: torch.cat([a, b], 1)),
    ("attention 64 tokens x 128", [(32, 64, 128)] * 3, attention),
    ("mse 32x1x32x32", [(32, 1, 32, 32), (32, 1, 32, 32)], F.mse_loss),
]

for name, shapes, fn in CASES:
    ins = [torch.randn(s, requires_grad=True) for s in shapes]
    times = []
    for r in range(runs + 2):
        for t in ins:
            t.grad = None
        t0 = time.perf_counter()
        y = fn(*ins)
        y.backward(torch.ones_like(y))
        if r >= 2:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    print("%s\t%.3f" % (name, times[len(times) // 2]))
