"""Golden data for drift's optimiser test (tests/test_params_optim.c).

Regenerate from the source tree's tests/golden folder with Debian's torch:
    cd tests/golden && /usr/bin/python3 make_adamw.py
It writes adamw.bin (format: golden.py).

The problem: three parameter tensors (2-D, 1-D, 4-D) with fixed initial
values; each step's gradient is g = a * (p - t) (the gradient of the
quadratic 0.5 * sum a * (p - t)^2, computed directly so that C can form the
same float32 products); gradients are clipped with
torch.nn.utils.clip_grad_norm_; torch.optim.AdamW updates with betas
(0.9, 0.999), eps 1e-8, weight decay 0.1 on the 2-D and 4-D tensors and none
on the 1-D one; the learning rate of each step follows linear warmup then
cosine decay (formula below, in double precision); an EMA with decay 0.9
and warmup min(decay, (1 + k) / (10 + k)) follows the weights.

Stored: init_<n>, a_<n>, t_<n> for each tensor n; lr[steps]; norm[steps]
(norm before clipping); p<step>_<n> after every step; ema_<n> at the end.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

STEPS = 20
BASE_LR, MIN_LR, WARMUP, TOTAL = 0.05, 0.005, 5, 16
MAX_NORM = 8.0
EMA_DECAY = 0.9
SHAPES = {"w": (6, 5), "b": (5,), "k": (3, 2, 2, 3)}


def lr_at(step):
    if step < WARMUP:
        return BASE_LR * (step + 1) / WARMUP
    r = min(1.0, (step - WARMUP) / (TOTAL - WARMUP))
    return MIN_LR + (BASE_LR - MIN_LR) * 0.5 * (1.0 + math.cos(math.pi * r))


def main():
    torch.manual_seed(1234)
    out = {}
    params, curv, target = {}, {}, {}
    for name, shape in SHAPES.items():
        params[name] = torch.nn.Parameter(torch.randn(shape))
        curv[name] = torch.rand(shape) * 1.5 + 0.25
        target[name] = torch.randn(shape) * 0.5
        out["init_" + name] = params[name].detach().clone()
        out["a_" + name] = curv[name]
        out["t_" + name] = target[name]
    opt = torch.optim.AdamW(
        [
            {"params": [params["w"], params["k"]], "weight_decay": 0.1},
            {"params": [params["b"]], "weight_decay": 0.0},
        ],
        lr=BASE_LR, betas=(0.9, 0.999), eps=1e-8)
    ema = {n: p.detach().clone() for n, p in params.items()}
    lrs, norms = [], []
    for step in range(STEPS):
        for n, p in params.items():
            p.grad = curv[n] * (p.detach() - target[n])
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_NORM)
        lr = lr_at(step)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        for n, p in params.items():
            ema[n].mul_(decay).add_(p.detach(), alpha=1 - decay)
            out["p%d_%s" % (step, n)] = p.detach().clone()
        lrs.append(lr)
        norms.append(float(norm))
    out["lr"] = lrs
    out["norm"] = norms
    for n in params:
        out["ema_" + n] = ema[n]
    golden.write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "adamw.bin"), out)
    print("norms:", ["%.3f" % x for x in norms])


if __name__ == "__main__":
    main()
