"""Golden data for drift's elementwise, normalisation, attention, embedding
and loss operators (tests/test_ops_elem.c, tests/test_ops_norm_attn.c).

PyTorch computes each operator's output and, by autograd, the gradients of
sum(out * upstream) for a fixed random upstream gradient (also stored).

Regenerate from the repository root with Debian's Python and torch:
    /usr/bin/python3 tests/golden/make_ops_rest.py
which rewrites tests/golden/ops_rest.bin.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

torch.manual_seed(1234)
out = {}


def leaf(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape) * scale + shift).requires_grad_(True)


def backprop(prefix, y, inputs):
    """Stores y, the upstream gradient and each input's gradient."""
    gy = torch.randn(*y.shape)
    grads = torch.autograd.grad(y, list(inputs.values()), gy)
    out[prefix + ".out"] = y
    out[prefix + ".gy"] = gy
    for name, gr in zip(inputs, grads):
        out[prefix + ".g" + name] = gr


# SiLU
x = leaf(2, 3, 5, scale=3.0)
out["silu.x"] = x
backprop("silu", torch.nn.functional.silu(x), {"x": x})

# Per-channel add and mul: x (N,C,H,W), v (N,C)
x = leaf(2, 3, 4, 5)
v = leaf(2, 3)
out["chan.x"] = x
out["chan.v"] = v
backprop("add_channel", x + v[:, :, None, None], {"x": x, "v": v})
backprop("mul_channel", x * v[:, :, None, None], {"x": x, "v": v})

# Group norm, 1-D (N,C,L) with 3 groups and 2-D (N,C,H,W) with 4 groups;
# the inputs sit away from zero to exercise the variance computation.
for tag, shape, groups in (("gn1", (2, 6, 7), 3), ("gn2", (2, 8, 3, 5), 4)):
    c = shape[1]
    x = leaf(*shape, scale=2.0, shift=5.0)
    gamma = leaf(c)
    beta = leaf(c)
    out[tag + ".x"] = x
    out[tag + ".gamma"] = gamma
    out[tag + ".beta"] = beta
    y = torch.nn.functional.group_norm(x, groups, gamma, beta, eps=1e-5)
    backprop(tag, y, {"x": x, "gamma": gamma, "beta": beta})

# Attention: q (N,Lq,D), k, v (N,Lk,D), 2 heads, key mask with one sample
# fully attended, one partly, and one fully masked (zeros out).
N, LQ, LK, D, H = 3, 5, 7, 8, 2
q = leaf(N, LQ, D)
k = leaf(N, LK, D)
v = leaf(N, LK, D)
mask = torch.ones(N, LK)
mask[1, [0, 3, 4]] = 0
mask[2, :] = 0
dh = D // H
heads = []
for h in range(H):
    sl = slice(h * dh, (h + 1) * dh)
    s = q[:, :, sl] @ k[:, :, sl].transpose(1, 2) / math.sqrt(dh)
    keep = (mask[:, None, :] != 0).expand_as(s)
    s = s.masked_fill(~keep, float("-inf"))
    any_key = keep.any(dim=-1, keepdim=True)
    s = s.masked_fill(~any_key, 0.0)  # a fully masked row: finite, zeroed below
    p = torch.softmax(s, dim=-1) * any_key
    heads.append(p @ v[:, :, sl])
out["attn.q"] = q
out["attn.k"] = k
out["attn.v"] = v
out["attn.mask"] = mask
backprop("attn", torch.cat(heads, dim=2), {"q": q, "k": k, "v": v})

# Embedding lookup with -1 as padding (a zero row).
table = leaf(6, 4)
ids = torch.tensor([2, -1, 5, 2, 0])
out["embed.table"] = table
out["embed.ids"] = ids.float()
rows = torch.nn.functional.embedding(ids.clamp(min=0), table) * (ids >= 0).float()[:, None]
backprop("embed", rows, {"table": table})

# Weighted and unweighted MSE over samples of shape (2,4).
pred = leaf(3, 2, 4)
target = leaf(3, 2, 4)
w = torch.tensor([0.5, 2.0, 1.25])
out["mse.pred"] = pred
out["mse.target"] = target
out["mse.w"] = w


def per_sample():
    return ((pred - target) ** 2).mean(dim=(1, 2))


backprop("mse_w", (w * per_sample()).mean().reshape(1), {"pred": pred, "target": target})
backprop("mse", per_sample().mean().reshape(1), {"pred": pred, "target": target})

# Timestep embedding in double precision (the reference formula).
t = torch.tensor([0.0, 1.0, 17.5, 500.0, 999.0], dtype=torch.float64)
dim, max_period = 16, 10000.0
half = dim // 2
freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
args = t[:, None] * freqs[None, :]
out["temb.t"] = t
out["temb.out"] = torch.cat([torch.cos(args), torch.sin(args)], dim=1)

golden.write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_rest.bin"), out)
print("wrote %d tensors" % len(out))
