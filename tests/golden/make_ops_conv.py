"""Golden data for drift's convolution, linear and shape operators.

Regenerate (from the repository root) with Debian's torch:
    /usr/bin/python3 tests/golden/make_ops_conv.py
which rewrites tests/golden/ops_conv.bin, read by tests/test_ops_conv.c and
tests/test_ops_shape.c.

For every case it stores the inputs (float32), a fixed upstream gradient
"gy", the output "y" and the gradients of every input ("gx", "gw", "gb"),
plus "args" with the integer arguments of the operator. Outputs and
gradients are computed in float64 from the float32 inputs, checked against
a float32 run, and stored as float32.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

torch.manual_seed(20240611)
OUT = {}


def run_case(name, fn, inputs, args):
    """inputs: dict short name -> float32 tensor; fn(args, **float64 tensors)."""
    results = {}
    for dtype in (torch.float32, torch.float64):
        leaves = {k: v.detach().to(dtype).clone().requires_grad_(True) for k, v in inputs.items()}
        y = fn(args, **leaves)
        if dtype == torch.float32:
            gy = torch.randn(y.shape)
        y.backward(gy.to(dtype))
        results[dtype] = (y.detach(), {k: v.grad for k, v in leaves.items()})
    y32, g32 = results[torch.float32]
    y64, g64 = results[torch.float64]
    pairs = [(y32, y64)] + [(g32[k], g64[k]) for k in inputs]
    for a, b in pairs:
        err = (a.double() - b).abs().max() / max(b.abs().max().item(), 1e-6)
        assert err < 1e-5, "%s: float32 and float64 disagree (%g)" % (name, err)
    for k, v in inputs.items():
        OUT["%s.%s" % (name, k)] = v
    OUT[name + ".args"] = torch.tensor(args, dtype=torch.float32)
    OUT[name + ".gy"] = gy
    OUT[name + ".y"] = y64
    for k in inputs:
        OUT["%s.g%s" % (name, k)] = g64[k]


def conv(args, x, w, b=None):
    stride, pad = args
    if x.dim() == 3:
        return F.conv1d(x, w, b, stride=stride, padding=pad)
    return F.conv2d(x, w, b, stride=stride, padding=pad)


def conv_case(name, n, cin, cout, spatial, kernel, stride, pad, bias):
    x = torch.randn((n, cin) + spatial)
    w = torch.randn((cout, cin) + kernel) / (cin * len(kernel)) ** 0.5
    inputs = {"x": x, "w": w}
    if bias:
        inputs["b"] = torch.randn(cout)
    run_case(name, conv, inputs, [stride, pad])


def linear(args, x, w, b=None):
    return F.linear(x, w, b)


def linear_case(name, lead, fin, fout, bias):
    inputs = {"x": torch.randn(lead + (fin,)), "w": torch.randn(fout, fin) / fin ** 0.5}
    if bias:
        inputs["b"] = torch.randn(fout)
    run_case(name, linear, inputs, [0])


# Convolutions: 1-D and 2-D, kernel 3 pad 1, stride 2, 1x1, odd and even
# sizes, batch 1 (the no-copy paths) and more, with and without bias.
conv_case("conv1d_k3", 2, 3, 4, (9,), (3,), 1, 1, True)
conv_case("conv1d_s2", 2, 3, 2, (10,), (3,), 2, 1, False)
conv_case("conv1d_n1", 1, 8, 8, (16,), (3,), 1, 1, True)
conv_case("conv2d_k3", 2, 3, 5, (7, 6), (3, 3), 1, 1, True)
conv_case("conv2d_s2_even", 2, 4, 3, (8, 8), (3, 3), 2, 1, False)
conv_case("conv2d_s2_odd", 1, 3, 4, (7, 9), (3, 3), 2, 1, True)
conv_case("conv2d_1x1", 3, 6, 4, (5, 5), (1, 1), 1, 0, True)
conv_case("conv2d_1x1_n1", 1, 5, 3, (4, 6), (1, 1), 1, 0, True)
conv_case("conv2d_3x5_p2", 2, 3, 2, (6, 7), (3, 5), 1, 2, False)
conv_case("conv2d_wide", 4, 16, 16, (8, 8), (3, 3), 1, 1, True)
conv_case("conv2d_valid", 2, 3, 4, (6, 7), (3, 3), 1, 0, True)
conv_case("conv1d_valid_k5", 2, 3, 2, (12,), (5,), 1, 0, False)
conv_case("conv2d_big_odd", 1, 3, 2, (33, 35), (3, 3), 1, 1, True)
conv_case("conv2d_big_even", 2, 2, 3, (24, 22), (3, 3), 1, 1, False)

linear_case("linear_2d", (5,), 7, 4, True)
linear_case("linear_3d", (2, 3), 7, 6, False)
linear_case("linear_4d", (2, 2, 3), 7, 5, True)

# Shape operators: args hold the target shape or slice bounds.
run_case("upsample_1d", lambda a, x: F.interpolate(x, scale_factor=2, mode="nearest"),
         {"x": torch.randn(2, 3, 5)}, [0])
run_case("upsample_2d", lambda a, x: F.interpolate(x, scale_factor=2, mode="nearest"),
         {"x": torch.randn(2, 3, 4, 5)}, [0])
run_case("concat_2d", lambda a, x, w: torch.cat([x, w], dim=1),
         {"x": torch.randn(2, 3, 4, 5), "w": torch.randn(2, 2, 4, 5)}, [0])
run_case("concat_1d", lambda a, x, w: torch.cat([x, w], dim=1),
         {"x": torch.randn(2, 3, 7), "w": torch.randn(2, 4, 7)}, [0])
run_case("reshape", lambda a, x: x.reshape(a), {"x": torch.randn(2, 3, 4)}, [6, 4])
run_case("tokens_1d", lambda a, x: x.flatten(2).transpose(1, 2), {"x": torch.randn(2, 3, 5)}, [0])
run_case("tokens_2d", lambda a, x: x.flatten(2).transpose(1, 2), {"x": torch.randn(2, 4, 3, 5)}, [0])
run_case("from_tokens_2d", lambda a, x: x.transpose(1, 2).reshape(a),
         {"x": torch.randn(2, 15, 4)}, [2, 4, 3, 5])
run_case("from_tokens_1d", lambda a, x: x.transpose(1, 2).reshape(a),
         {"x": torch.randn(3, 6, 5)}, [3, 5, 6])
run_case("slice_last", lambda a, x: x[..., a[0]:a[0] + a[1]], {"x": torch.randn(2, 5, 12)}, [4, 4])
run_case("slice_last_4d", lambda a, x: x[..., a[0]:a[0] + a[1]], {"x": torch.randn(2, 3, 2, 9)},
         [0, 3])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_conv.bin")
golden.write(path, OUT)
print("wrote %s: %d tensors, %d bytes" % (path, len(OUT), os.path.getsize(path)))
