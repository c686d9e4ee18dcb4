"""Golden data for drift's noise schedules and single sampler updates.

Computed in torch float64 from the published formulas, written here
independently of drift's C code:
  - beta schedules: linear 1e-4..0.02 (Ho et al. 2020), cosine with s=0.008
    and beta clipped at 0.999 (Nichol & Dhariwal 2021), sigmoid
    (1e-4 + (0.02-1e-4) * sigmoid(linspace(-6, 6, T))), each also rescaled
    to zero terminal SNR (Lin et al. 2023, algorithm 1);
  - alpha_bar, sigma = sqrt(1-alpha_bar), log-SNR and sigma_VE at every
    step, and the continuous view at fractional times (log-SNR linear
    between steps; alpha_bar linear on a segment that ends at zero SNR);
  - one DDIM step (eta 0 and 0.5) and DDPM posteriors (Ho et al. eq. 7)
    with eps- and v-prediction on fixed tensors.

Regenerate (from the repository root) with:
    /usr/bin/python3 tests/golden/make_schedules.py
which rewrites tests/golden/schedules.bin.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

torch.set_default_dtype(torch.float64)
T = 1000


def betas_linear():
    return torch.linspace(1e-4, 0.02, T)


def betas_cosine(s=0.008):
    def f(u):
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return torch.tensor([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])


def betas_sigmoid():
    return 1e-4 + (0.02 - 1e-4) * torch.sigmoid(torch.linspace(-6, 6, T))


def zero_snr(abar):
    r = abar.sqrt()
    first, last = r[0].clone(), r[-1].clone()
    r = (r - last) * first / (first - last)
    return r ** 2


def continuous_log_snr(abar, t):
    """log-SNR at fractional t: linear in log-SNR between steps, or linear in
    alpha_bar on a segment whose end has alpha_bar = 0."""
    i = min(int(math.floor(t)), T - 2)
    f = t - i
    a0, a1 = abar[i].item(), abar[i + 1].item()
    if a1 == 0.0:
        a = (1 - f) * a0
        return math.log(a / (1 - a))
    l0, l1 = math.log(a0 / (1 - a0)), math.log(a1 / (1 - a1))
    return l0 + f * (l1 - l0)


def schedule_tensors(name, abar):
    out = {}
    lam = torch.log(abar) - torch.log1p(-abar)
    out[name + ".abar"] = abar
    out[name + ".sigma"] = (1 - abar).sqrt()
    out[name + ".log_snr"] = lam
    out[name + ".sigma_ve"] = ((1 - abar) / abar).sqrt()
    ts = [0.5, 10.25, 333.3125, 500.75, 998.5, 998.875]  # exact in float32
    out[name + ".frac_t"] = torch.tensor(ts)
    out[name + ".frac_log_snr"] = torch.tensor([continuous_log_snr(abar, t) for t in ts])
    return out


def ddim_ddpm(abar):
    g = torch.Generator().manual_seed(1234)
    n = 24
    xt = torch.randn(n, generator=g)
    pred = torch.randn(n, generator=g)
    z = torch.randn(n, generator=g)
    out = {"step.xt": xt, "step.pred": pred, "step.z": z}
    t, p, q = 500, 480, 499
    a_t = abar[t]
    for kind in ("eps", "v"):
        if kind == "eps":
            eps = pred
            x0 = (xt - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        else:  # v = sqrt(abar) eps - sqrt(1 - abar) x0
            x0 = a_t.sqrt() * xt - (1 - a_t).sqrt() * pred
            eps = (1 - a_t).sqrt() * xt + a_t.sqrt() * pred
        out["step.%s.x0" % kind] = x0
        for eta in (0.0, 0.5):
            a_p = abar[p]
            var = (1 - a_p) / (1 - a_t) * (1 - a_t / a_p)
            std = eta * var.sqrt()
            x_prev = a_p.sqrt() * x0 + (1 - a_p - std ** 2).sqrt() * eps + std * z
            out["step.%s.ddim_eta%g" % (kind, eta)] = x_prev
        for prev in (q, p):
            a_p = abar[prev]
            beta = 1 - a_t / a_p
            mean = (a_p.sqrt() * beta / (1 - a_t)) * x0 + ((a_t / a_p).sqrt() * (1 - a_p) / (1 - a_t)) * xt
            out["step.%s.ddpm_mean_%d" % (kind, prev)] = mean
            out["step.%s.ddpm_var_%d" % (kind, prev)] = torch.tensor(
                [(1 - a_p) / (1 - a_t) * beta, beta])
    return out


def main():
    tensors = {}
    kinds = {"linear": betas_linear(), "cosine": betas_cosine(), "sigmoid": betas_sigmoid()}
    for name, betas in kinds.items():
        abar = torch.cumprod(1 - betas, 0)
        tensors.update(schedule_tensors(name, abar))
        # rescaled: alpha_bar[T-1] = 0, log-SNR -inf and sigma_VE inf there
        tensors.update(schedule_tensors(name + "_zsnr", zero_snr(abar)))
    tensors.update(ddim_ddpm(torch.cumprod(1 - betas_linear(), 0)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schedules.bin")
    golden.write(path, tensors)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
