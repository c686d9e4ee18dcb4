"""Golden data for drift's classifier operators and Frechet distance
(tests/test_classifier.c): global average pooling and softmax
cross-entropy from PyTorch (outputs, and by autograd the gradients of
sum(out * upstream) for a stored random upstream gradient), and Frechet
distances between sets of embeddings with the matrix square root from
scipy.linalg.sqrtm.

Regenerate from the repository root with Debian's Python, torch and scipy:
    /usr/bin/python3 tests/golden/make_ops_cls.py
which rewrites tests/golden/ops_cls.bin.
"""
import os
import sys

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

torch.manual_seed(4321)
rng = np.random.default_rng(4321)
out = {}


def backprop(prefix, y, inputs):
    gy = torch.randn(*y.shape)
    grads = torch.autograd.grad(y, list(inputs.values()), gy)
    out[prefix + ".out"] = y
    out[prefix + ".gy"] = gy
    for name, gr in zip(inputs, grads):
        out[prefix + ".g" + name] = gr


# Global average pooling over positions: (N,C,L) and (N,C,H,W) -> (N,C).
for tag, shape in (("pool1", (2, 3, 7)), ("pool2", (2, 4, 3, 5))):
    x = (torch.randn(*shape) * 2 + 1).requires_grad_(True)
    out[tag + ".x"] = x
    backprop(tag, x.flatten(2).mean(dim=2), {"x": x})

# Cross-entropy with integer labels, mean over the batch; the second case
# has logits far from zero (a naive softmax would overflow).
for tag, scale, shift in (("xent", 3.0, 0.0), ("xent_big", 30.0, 200.0)):
    logits = (torch.randn(6, 5) * scale + shift).requires_grad_(True)
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    out[tag + ".logits"] = logits
    out[tag + ".labels"] = labels.float()
    loss = torch.nn.functional.cross_entropy(logits, labels).reshape(1)
    backprop(tag, loss, {"logits": logits})


def frechet(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(ca @ cb).real
    d = mu_a - mu_b
    return d @ d + np.trace(ca) + np.trace(cb) - 2 * np.trace(root)


# Correlated Gaussian sets of different means and covariances, and a
# near-degenerate pair (few samples for the dimension).
for tag, na, nb, dim in (("fd8", 300, 250, 8), ("fd24", 60, 40, 24)):
    mix_a = rng.normal(size=(dim, dim))
    mix_b = mix_a + 0.5 * rng.normal(size=(dim, dim))
    a = (rng.normal(size=(na, dim)) @ mix_a + 0.3).astype(np.float32)
    b = (rng.normal(size=(nb, dim)) @ mix_b - 0.2).astype(np.float32)
    out[tag + ".a"] = a
    out[tag + ".b"] = b
    out[tag + ".d"] = np.array([frechet(a, b)])
    out[tag + ".self"] = np.array([frechet(a, a)])



class Block(torch.nn.Module):
    def __init__(self, dims, cin, cout, stride, groups):
        super().__init__()
        conv = torch.nn.Conv1d if dims == 1 else torch.nn.Conv2d
        self.conv = conv(cin, cout, 3, stride=stride, padding=1)
        self.norm = torch.nn.GroupNorm(groups, cout, eps=1e-5)
        with torch.no_grad():  # away from the defaults, so a swapped scale and shift would show
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return torch.nn.functional.silu(self.norm(self.conv(x)))


def classifier(dims, cin, k, base, levels, groups):
    """The network of core/classifier.h, with its parameter names."""
    blocks = [("stem", Block(dims, cin, base, 1, groups))]
    c = base
    for lv in range(1, levels + 1):
        blocks.append(("down%d.0" % lv, Block(dims, c, 2 * c, 2, groups)))
        blocks.append(("down%d.1" % lv, Block(dims, 2 * c, 2 * c, 1, groups)))
        c *= 2
    return blocks, torch.nn.Linear(c, k)


# The whole classifier, 1-D and 2-D, odd sizes (stride-2 rounding): the
# parameters, an input already normalised, the logits and the embedding.
for tag, dims, cin, shape in (("cls1", 1, 3, (2, 3, 13)), ("cls2", 2, 2, (2, 2, 9, 7))):
    blocks, head = classifier(dims, cin, 5, 8, 2, 4)
    h = torch.randn(*shape)
    out[tag + ".x"] = h
    with torch.no_grad():
        for name, b in blocks:
            h = b(h)
            for pname, p in b.named_parameters():
                out["%s.%s.%s" % (tag, name, pname)] = p
        emb = h.flatten(2).mean(dim=2)
        out[tag + ".emb"] = emb
        out[tag + ".logits"] = head(emb)
        out[tag + ".head.weight"] = head.weight
        out[tag + ".head.bias"] = head.bias

golden.write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_cls.bin"), out)
