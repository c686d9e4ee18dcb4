"""Golden data for tests/test_unet.c: the ref U-Net (tests/golden/unet_ref.py)
in 1-D and 2-D, with and without class/tag conditioning, with weights from
detinit.py (so C sets the same weights without storing them). Stores the
input, output, MSE loss against a target, the input's gradient, and for
every parameter 64 sampled gradient elements and the gradient's norm.

Regenerate: /usr/bin/python3 tests/golden/make_unet.py  (writes unet.bin)
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import detinit  # noqa: E402
import golden  # noqa: E402
from unet_ref import RefUNet  # noqa: E402

CASES = [
    # name, dims, channels, batch, spatial, classes, vocab, ctx_dim, tags
    ("img", 2, 1, 2, (32, 32), 0, 0, 0, 0),
    ("imgc", 2, 1, 3, (16, 16), 10, 12, 16, 3),
    ("spec", 1, 80, 2, (64,), 0, 0, 0, 0),
    ("specc", 1, 8, 3, (32,), 0, 12, 16, 3),
]
SAMPLES = 64


def main():
    out = {}
    for name, dims, ch, n, spatial, classes, vocab, ctx, tags in CASES:
        torch.manual_seed(0)
        m = RefUNet(dims=dims, in_ch=ch, n_classes=classes, vocab=vocab, ctx_dim=ctx).double()
        with torch.no_grad():
            for pname, p in m.named_parameters():
                p.copy_(torch.from_numpy(detinit.param_values(pname, tuple(p.shape)).astype(np.float64)))
        shape = (n, ch) + spatial
        x = torch.from_numpy(detinit.uniform(name + ".x", int(np.prod(shape))).reshape(shape)).requires_grad_()
        target = torch.from_numpy(detinit.uniform(name + ".target", int(np.prod(shape))).reshape(shape))
        t = torch.tensor([10.0, 500.0, 999.0][:n], dtype=torch.float64)
        class_ids = torch.tensor([3, -1, 7][:n]) if classes else None
        tag_ids = torch.tensor([[1, 5, -1], [-1, -1, -1], [11, 0, 2]][:n]) if vocab else None
        y = m(x, t, class_ids, tag_ids)
        loss = F.mse_loss(y, target)
        loss.backward()
        out[name + ".x"] = x.detach()
        out[name + ".t"] = t
        out[name + ".target"] = target
        out[name + ".out"] = y.detach()
        out[name + ".loss"] = loss.detach().reshape(1)
        out[name + ".xgrad"] = x.grad
        if class_ids is not None:
            out[name + ".class_ids"] = class_ids.double()
        if tag_ids is not None:
            out[name + ".tag_ids"] = tag_ids.double()
        for pname, p in m.named_parameters():
            g = p.grad.reshape(-1)
            idx = (np.arange(SAMPLES) * g.numel()) // SAMPLES
            out[name + ".grad:" + pname] = g[idx]
            out[name + ".gradnorm:" + pname] = g.norm().reshape(1)
        print(name, "params", sum(p.numel() for p in m.parameters()), "loss", loss.item())
    golden.write(os.path.join(os.path.dirname(__file__), "unet.bin"), out)


if __name__ == "__main__":
    main()
