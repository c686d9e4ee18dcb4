"""PyTorch peer for bench_unet: the identical ref U-Net
(tests/golden/unet_ref.py), 2 threads, inference mode for forward, a full
AdamW step for training. usage: bench_unet.py DIMS fwd|train BATCH RUNS
prints: median_ms peak_rss_mb"""
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "golden"))
from unet_ref import RefUNet  # noqa: E402

dims, mode, batch, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(2)
torch.manual_seed(0)
ch = 1 if dims == 2 else 80
model = RefUNet(dims=dims, in_ch=ch)
shape = (batch, ch, 32, 32) if dims == 2 else (batch, ch, 128)
x = torch.randn(shape)
target = torch.randn(shape)
t = (torch.arange(batch) * 37 % 1000).float()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
times = []
for r in range(runs + 2):
    t0 = time.perf_counter()
    if mode == "train":
        opt.zero_grad()
        loss = F.mse_loss(model(x, t), target)
        loss.backward()
        opt.step()
    else:
        with torch.inference_mode():
            model(x, t)
    if r >= 2:
        times.append((time.perf_counter() - t0) * 1e3)
times.sort()
print("%.2f %.0f" % (times[len(times) // 2], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
