"""Golden data for drift's audio front end (tests/test_audio_*.c).

Reference implementations: torch.stft / torch.istft, torchaudio 0.13's
melscale_fbanks, MelSpectrogram, AmplitudeToDB and griffinlim.

Regenerate (Debian's python3-torch and python3-torchaudio):
    /usr/bin/python3 tests/golden/make_audio.py
writes tests/golden/audio_*.bin next to this script.
"""
import math
import os

import numpy as np
import torch
import torchaudio
import torchaudio.functional as AF

import golden

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240605)


def signal(n, rate=16000):
    t = np.arange(n) / rate
    x = 0.5 * np.sin(2 * math.pi * 440 * t) + 0.25 * np.sin(2 * math.pi * 1234.5 * t + 0.3)
    x += 0.1 * rng.standard_normal(n)
    return torch.tensor(x, dtype=torch.float32)


def window(kind, length):
    if kind == "hann":
        return torch.hann_window(length)
    if kind == "hamming":
        return torch.hamming_window(length)
    return torch.ones(length)


def as_pairs(spec):
    """torch complex (freq, frames) -> (frames, freq, 2) as drift stores it."""
    return torch.view_as_real(spec.transpose(0, 1).contiguous())


# name, n_fft, hop, win_length, window, center
STFT_CASES = [
    ("a", 64, 16, 64, "hann", True),
    ("b", 100, 25, 80, "hamming", True),
    ("c", 63, 20, 50, "rect", True),
    ("d", 64, 32, 64, "hann", False),
]


def stft_golden():
    out = {}
    x = signal(1000)
    out["x"] = x
    for name, n_fft, hop, win, kind, center in STFT_CASES:
        w = window(kind, win)
        s = torch.stft(x, n_fft, hop, win, w, center=center, pad_mode="reflect", return_complex=True)
        out["stft_" + name] = as_pairs(s)
        out["cfg_" + name] = [n_fft, hop, win, ["hann", "hamming", "rect"].index(kind), int(center)]
    # Inverse of arbitrary (not STFT-consistent) spectra: pure overlap-add.
    # "a_long" asks for more samples than the frames cover (zero tail); it
    # uses a Hamming window because a Hann window's sum falls to ~1e-5 near
    # the covered end, where dividing by it amplifies float32 rounding 400x.
    for name, n_fft, hop, win, kind, length in [("a", 64, 16, 64, "hann", 0), ("a_long", 64, 16, 64, "hamming", 350),
                                                ("a_short", 64, 16, 64, "hann", 250),
                                                ("b", 100, 25, 80, "hamming", 0)]:
        frames = 20
        spec = torch.tensor(rng.standard_normal((n_fft // 2 + 1, frames, 2)), dtype=torch.float32)
        spec = torch.view_as_complex(spec.contiguous())
        w = window(kind, win)
        # The reference runs in double precision.
        y = torch.istft(spec.to(torch.complex128), n_fft, hop, win, w.double(), center=True,
                        length=length if length else None)
        out["ispec_" + name] = as_pairs(spec)
        out["istft_" + name] = y
        out["icfg_" + name] = [n_fft, hop, win, ["hann", "hamming", "rect"].index(kind), length]
    return out


def mel_golden():
    out = {}
    cases = [("htk_none", 129, 0.0, 8000.0, 24, 16000, None, "htk"),
             ("htk_slaney", 129, 0.0, 8000.0, 24, 16000, "slaney", "htk"),
             ("slaney_none", 129, 0.0, 8000.0, 24, 16000, None, "slaney"),
             ("slaney_slaney", 129, 0.0, 8000.0, 24, 16000, "slaney", "slaney"),
             ("htk_band", 257, 40.0, 7600.0, 40, 22050, None, "htk"),
             ("slaney_band", 257, 40.0, 7600.0, 40, 22050, "slaney", "slaney")]
    for name, n_freqs, f_min, f_max, n_mels, sr, norm, scale in cases:
        fb = AF.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sr, norm, scale)
        out["fb_" + name] = fb.transpose(0, 1)  # drift stores (n_mels, n_freqs)
        out["fbcfg_" + name] = [n_freqs, f_min, f_max, n_mels, sr, int(norm == "slaney"), int(scale == "slaney")]
    x = signal(4000)
    out["mel_x"] = x
    ms = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=256, hop_length=64, n_mels=32, power=2.0,
                                              norm="slaney", mel_scale="slaney")
    mel = ms(x)
    out["melspec"] = mel
    out["melspec_db"] = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80.0)(mel)
    ms1 = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_fft=256, hop_length=64, n_mels=32, power=1.0,
                                               f_min=100.0, f_max=6000.0)
    out["melspec_mag_htk"] = ms1(x)
    return out


def reference_griffinlim(mag, angles, n_fft, hop, w, n_iter, momentum):
    """torchaudio 0.13's griffinlim loop, started from given unit phases."""
    m = momentum / (1 + momentum)
    tprev = torch.tensor(0.0)
    for _ in range(n_iter):
        inverse = torch.istft(mag * angles, n_fft, hop, n_fft, w)
        rebuilt = torch.stft(inverse, n_fft, hop, n_fft, w, center=True, pad_mode="reflect", return_complex=True)
        angles = rebuilt
        if m:
            angles = angles - tprev.mul_(m)
        angles = angles.div(angles.abs().add(1e-16))
        tprev = rebuilt
    return torch.istft(mag * angles, n_fft, hop, n_fft, w)


def gl_golden():
    out = {}
    n_fft, hop = 128, 32
    x = signal(2048)
    w = torch.hann_window(n_fft)
    spec = torch.stft(x, n_fft, hop, n_fft, w, center=True, pad_mode="reflect", return_complex=True)
    mag = spec.abs()
    out["gl_mag"] = mag.transpose(0, 1)
    for name, mom in [("fast", 0.99), ("plain", 0.0)]:
        y = AF.griffinlim(mag, w, n_fft, hop, n_fft, 1.0, 8, mom, None, False)
        mine = reference_griffinlim(mag, torch.ones_like(spec), n_fft, hop, w, 8, mom)
        assert torch.allclose(y, mine, atol=1e-6), "reference loop disagrees with torchaudio"
        out["gl_" + name] = y
    # From a noisy recording's phase (denoising use): not in torchaudio's API,
    # so its loop is run from that phase directly.
    noisy = x + 0.3 * torch.tensor(rng.standard_normal(x.shape[0]), dtype=torch.float32)
    nspec = torch.stft(noisy, n_fft, hop, n_fft, w, center=True, pad_mode="reflect", return_complex=True)
    out["gl_init_spec"] = as_pairs(nspec)
    angles = nspec / (nspec.abs() + 1e-16)
    out["gl_init"] = reference_griffinlim(mag, angles, n_fft, hop, w, 8, 0.99)
    return out


def main():
    torch.manual_seed(0)
    for name, fn in [("audio_stft.bin", stft_golden), ("audio_mel.bin", mel_golden), ("audio_gl.bin", gl_golden)]:
        path = os.path.join(HERE, name)
        golden.write(path, fn())
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
