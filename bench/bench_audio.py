"""torchaudio peer for bench/bench_audio.c: the same STFT + iSTFT and
32-iteration fast Griffin-Lim on 10 s of 22.05 kHz mono, n_fft 1024, hop
256, Hann, with torch.set_num_threads(2). Prints "name median_ms" lines.
Run by bench_audio (or: /usr/bin/python3 bench/bench_audio.py)."""
import statistics
import sys
import time

import torch
import torchaudio.functional as AF

torch.set_num_threads(2)
RATE, N_FFT, HOP = 22050, 1024, 256
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
g = torch.Generator().manual_seed(0)
t = torch.arange(10 * RATE) / RATE
x = 0.3 * torch.sin(2 * torch.pi * 440 * t) + 0.05 * torch.randn(10 * RATE, generator=g)
w = torch.hann_window(N_FFT)


def stft_istft():
    s = torch.stft(x, N_FFT, HOP, N_FFT, w, center=True, pad_mode="reflect", return_complex=True)
    return torch.istft(s, N_FFT, HOP, N_FFT, w, length=x.shape[0])


mag = torch.stft(x, N_FFT, HOP, N_FFT, w, center=True, pad_mode="reflect", return_complex=True).abs()


def griffinlim():
    return AF.griffinlim(mag, w, N_FFT, HOP, N_FFT, 1.0, 32, 0.99, None, False)


def median_ms(fn, n):
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


print("stft_istft %.3f" % median_ms(stft_istft, runs))
print("griffinlim32 %.3f" % median_ms(griffinlim, max(5, runs // 2)))
