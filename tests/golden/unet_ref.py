"""The "ref" U-Net in PyTorch, defined parameter for parameter like drift's
(core/unet.c with the ref configuration). Used by tests/golden/make_unet.py
for golden gradients and by bench/bench_unet.py as the peer.

Structure (dims=1 for (N,C,L) spectrograms, 2 for (N,C,H,W) images):
input conv 3 -> 32; time embedding sinusoidal(32) -> linear 128 -> SiLU ->
linear 128; levels 32, 64, 128 with 2 residual blocks each and a stride-2
conv between levels; middle res, self-attention, res; up path 3 residual
blocks per level on the concatenation with a skip, nearest x2 + conv up;
output GN(8), SiLU, conv 3.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    args = t.to(torch.float64)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1).to(t.dtype)


def conv(dims, cin, cout, k, stride=1):
    cls = nn.Conv1d if dims == 1 else nn.Conv2d
    return cls(cin, cout, k, stride=stride, padding=k // 2)


class ResBlock(nn.Module):
    def __init__(self, dims, cin, cout, temb, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = conv(dims, cin, cout, 3)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = conv(dims, cout, cout, 3)
        self.skip = conv(dims, cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        e = self.temb(F.silu(emb))
        h = h + e.view(*e.shape, *([1] * (h.dim() - 2)))
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class Attention(nn.Module):
    def __init__(self, ch, groups=8, heads=1):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Linear(ch, 3 * ch)
        self.out = nn.Linear(ch, ch)
        self.heads = heads

    def forward(self, x):
        n, c = x.shape[:2]
        tok = self.norm(x).reshape(n, c, -1).transpose(1, 2)  # (N,P,C)
        q, k, v = self.qkv(tok).chunk(3, dim=-1)
        d = c // self.heads
        q = q.reshape(n, -1, self.heads, d).transpose(1, 2)
        k = k.reshape(n, -1, self.heads, d).transpose(1, 2)
        v = v.reshape(n, -1, self.heads, d).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v
        a = a.transpose(1, 2).reshape(n, -1, c)
        return x + self.out(a).transpose(1, 2).reshape(x.shape)


class CrossAttention(nn.Module):
    """Positions attend to a context sequence; masked keys are ignored and a
    query whose keys are all masked gets zeros."""

    def __init__(self, ch, ctx_dim, groups=8):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.q = nn.Linear(ch, ch)
        self.kv = nn.Linear(ctx_dim, 2 * ch)
        self.out = nn.Linear(ch, ch)

    def forward(self, x, ctx, mask):
        n, c = x.shape[:2]
        q = self.q(self.norm(x).reshape(n, c, -1).transpose(1, 2))
        k, v = self.kv(ctx).chunk(2, dim=-1)
        s = q @ k.transpose(-1, -2) / math.sqrt(c)
        s = s.masked_fill(~mask[:, None, :], float("-inf"))
        p = torch.softmax(s, dim=-1)
        p = torch.where(mask.any(dim=1)[:, None, None], p, torch.zeros_like(p))
        return x + self.out(p @ v).transpose(1, 2).reshape(x.shape)


def lookup(table, ids):
    """Embedding rows with id -1 as a zero row."""
    rows = table[ids.clamp(min=0)]
    return rows * (ids >= 0).unsqueeze(-1).to(rows.dtype)


class RefUNet(nn.Module):
    def __init__(self, dims=2, in_ch=1, base=32, mults=(1, 2, 4), nres=2, temb_in=32, temb=128,
                 n_classes=0, vocab=0, ctx_dim=0):
        super().__init__()
        self.dims, self.temb_in = dims, temb_in
        self.t1 = nn.Linear(temb_in, temb)
        self.t2 = nn.Linear(temb, temb)
        self.class_emb = nn.Embedding(n_classes, temb) if n_classes else None
        self.tag_emb = nn.Embedding(vocab, ctx_dim) if vocab else None
        self.tag_temb = nn.Embedding(vocab, temb) if vocab else None
        self.conv_in = conv(dims, in_ch, base, 3)
        chans = [base * m for m in mults]
        skips = [base]
        self.down = nn.ModuleList()
        ch = base
        for li, c in enumerate(chans):
            for _ in range(nres):
                self.down.append(ResBlock(dims, ch, c, temb))
                ch = c
                skips.append(ch)
            if li != len(chans) - 1:
                self.down.append(conv(dims, ch, ch, 3, stride=2))
                skips.append(ch)
        self.mid1 = ResBlock(dims, ch, ch, temb)
        self.attn = Attention(ch)
        self.xattn = CrossAttention(ch, ctx_dim) if vocab else None
        self.mid2 = ResBlock(dims, ch, ch, temb)
        self.up = nn.ModuleList()
        for li, c in reversed(list(enumerate(chans))):
            for _ in range(nres + 1):
                self.up.append(ResBlock(dims, ch + skips.pop(), c, temb))
                ch = c
            if li != 0:
                self.up.append(conv(dims, ch, ch, 3))
        self.norm_out = nn.GroupNorm(8, ch)
        self.conv_out = conv(dims, ch, in_ch, 3)

    def forward(self, x, t, class_ids=None, tag_ids=None):
        emb = self.t2(F.silu(self.t1(timestep_embedding(t, self.temb_in))))
        if self.class_emb is not None and class_ids is not None:
            emb = emb + lookup(self.class_emb.weight, class_ids)
        ctx = mask = None
        if self.tag_emb is not None and tag_ids is not None:
            emb = emb + lookup(self.tag_temb.weight, tag_ids).sum(dim=1)
            ctx, mask = lookup(self.tag_emb.weight, tag_ids), tag_ids >= 0
        h = self.conv_in(x)
        hs = [h]
        for m in self.down:
            h = m(h, emb) if isinstance(m, ResBlock) else m(h)
            hs.append(h)
        h = self.attn(self.mid1(h, emb))
        if ctx is not None:
            h = self.xattn(h, ctx, mask)
        h = self.mid2(h, emb)
        for m in self.up:
            if isinstance(m, ResBlock):
                h = m(torch.cat([h, hs.pop()], dim=1), emb)
            else:
                h = m(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


if __name__ == "__main__":
    for dims, cin in ((2, 1), (1, 80)):
        m = RefUNet(dims=dims, in_ch=cin)
        print(dims, cin, sum(p.numel() for p in m.parameters()))
