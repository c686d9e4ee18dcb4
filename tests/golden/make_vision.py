"""Golden data for drift's vision tests (tests/test_vision_idx.c and
tests/test_vision_metrics.c), written to tests/golden/vision.bin.

Regenerate with Debian's Python (numpy, scikit-image 0.19):
    /usr/bin/python3 tests/golden/make_vision.py

Contents:
- Fashion-MNIST test set (/usr/share/datasets/fashion-mnist, read here with
  gzip + numpy): the first 16 and the last image as floats byte/255, the
  first 200 labels, the last label, and the sum of all test pixels / 255.
- PSNR and SSIM from skimage.metrics on image pairs made here (a clean
  picture and a noisy or blurred copy), computed in float64 on exactly the
  float32 values stored in the file:
  SSIM with gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  data_range given, channel_axis=-1 for RGB.
"""
import gzip
import os

import numpy as np
from scipy import ndimage
from skimage import data, metrics

import golden

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(FASHION, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion():
    images = read_idx("t10k-images-idx3-ubyte.gz")
    labels = read_idx("t10k-labels-idx1-ubyte.gz")
    return {
        "fashion_first16": images[:16].astype(np.float64) / 255.0,
        "fashion_last": images[-1].astype(np.float64) / 255.0,
        "fashion_labels200": labels[:200],
        "fashion_label_last": labels[-1:],
        "fashion_sum": np.array([images.astype(np.float64).sum() / 255.0]),
        "fashion_shape": np.array(images.shape),
    }


def metric_case(name, clean, noisy, data_range, rgb):
    a = clean.astype(np.float32)
    b = noisy.astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    psnr = metrics.peak_signal_noise_ratio(a64, b64, data_range=data_range)
    ssim = metrics.structural_similarity(
        a64, b64, data_range=data_range, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, channel_axis=-1 if rgb else None)
    return {name + "_a": a, name + "_b": b,
            name + "_psnr": np.array([psnr]), name + "_ssim": np.array([ssim])}


def metric_cases():
    rng = np.random.default_rng(20240607)
    out = {}
    cam = data.camera()[200:264, 180:260].astype(np.float64) / 255.0  # 64 x 80 gray
    noisy = np.clip(cam + rng.normal(0, 0.08, cam.shape), 0, 1)
    out.update(metric_case("gray_noise", cam, noisy, 1.0, False))
    blurred = ndimage.gaussian_filter(cam, 1.2)
    out.update(metric_case("gray_blur", cam, blurred, 1.0, False))
    ast = data.astronaut()[100:148, 180:220].astype(np.float64) / 255.0  # 48 x 40 x 3
    noisy_rgb = np.clip(ast + rng.normal(0, 0.05, ast.shape), 0, 1)
    out.update(metric_case("rgb_noise", ast, noisy_rgb, 1.0, True))
    coins = data.coins()[50:83, 60:101].astype(np.float64)  # 33 x 41, range 255
    shifted = np.clip(coins * 0.9 + 12 + rng.normal(0, 6, coins.shape), 0, 255)
    out.update(metric_case("gray255", coins, shifted, 255.0, False))
    return out


def main():
    tensors = {}
    tensors.update(fashion())
    tensors.update(metric_cases())
    path = os.path.join(HERE, "vision.bin")
    golden.write(path, tensors)
    print("wrote", path, os.path.getsize(path), "bytes")
    for k in sorted(tensors):
        if k.endswith(("_psnr", "_ssim", "_sum")):
            print(k, float(np.asarray(tensors[k])[0]))


if __name__ == "__main__":
    main()
