#!/usr/bin/python3
"""Image quality of a drift Fashion-MNIST model against classical peers
(run by scripts/eval_images.sh; see docs/IMAGES.md).

On the first N Fashion-MNIST test pictures, padded to 32 x 32 as drift's
models see them, in [0, 1]:
  denoising    sigma 0.1/0.2/0.3: drift (DDRM) vs non-local means and TV
               denoising (scikit-image; h and weight tuned per sigma on 50
               other test pictures) and the noisy input: PSNR / SSIM;
  inpainting   a centre square of a quarter of the area, and a fixed
               pattern of 50% random pixels: drift (RePaint, DDRM) vs
               OpenCV Telea and Navier-Stokes and scikit-image's
               biharmonic: PSNR inside the hole;
  upscaling    x2 and x4 of block averages: drift (DDRM) vs ImageMagick's
               bicubic (Catmull-Rom) and Lanczos: PSNR / SSIM;
  generation   through bench/eval_images (the classifier's test accuracy,
               its accuracy on class-conditional samples, Frechet distance);
  photos       with --photo-model: centre crops of scikit-image's test
               photographs, denoised (sigma 0.1, 0.2, 0.3) against non-local
               means and TV (tuned on a held-out photograph), upscaled x2
               and x4 against ImageMagick (PSNR / SSIM), and inpainted (a
               centre square of a quarter of the area, 50% random pixels)
               against OpenCV and scikit-image (PSNR inside the hole).
Degraded inputs are stored as 8-bit PNG files (noisy values clipped to
[0, 1]) and every method gets the same files. PSNR and SSIM are per
picture (SSIM: Gaussian window, sigma 1.5), averaged over the pictures.

Usage: /usr/bin/python3 scripts/eval_images.py --drift BIN --eval-bin BIN
           --model MODEL [--n 1000] [--per-class 100] [--work DIR] [--tasks ...]
           [--photo-model PHOTO_MODEL [--photo-crop 256] [--photos a.png,b.png]
            [--restore-model MODEL] [--photo-tasks denoise,upscale,inpaint]]
--restore-model adds a conditional restoration model (vision/restore.h) to
the photo upscaling and inpainting rows, its step count tuned like DDRM's.
Prints markdown tables (and writes them to WORK/results.md).
"""
import argparse
import gzip
import os
import subprocess
import sys
import time

import cv2
import numpy as np
from skimage.metrics import structural_similarity
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, inpaint_biharmonic

FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
CONVERT = "/usr/bin/convert"
TUNE_OFFSET, TUNE_COUNT = 5000, 50
PHOTO_DIR = "/usr/lib/python3/dist-packages/skimage/data"
PHOTOS = "astronaut.png,camera.png,coffee.png,chelsea.png,rocket.jpg,coins.png,moon.png,motorcycle_left.png"
PHOTO_TUNE = "motorcycle_right.png"


def load_fashion(start, count):
    with gzip.open(FASHION, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], "big")
    if start + count > n:
        sys.exit("eval_images: the test split has only %d pictures" % n)
    imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(n, 28, 28)[start:start + count]
    out = np.zeros((count, 32, 32), np.float64)
    out[:, 2:30, 2:30] = imgs / 255.0
    return out


def to8(x):
    return np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)


def write_set(folder, imgs):
    os.makedirs(folder, exist_ok=True)
    for i, im in enumerate(imgs):
        cv2.imwrite(os.path.join(folder, "%05d.png" % i), to8(im))


def read_set(folder, count, pattern="%05d.png"):
    out = []
    for i in range(count):
        im = cv2.imread(os.path.join(folder, pattern % i), cv2.IMREAD_GRAYSCALE)
        if im is None:
            sys.exit("eval_images: missing output %s" % os.path.join(folder, pattern % i))
        out.append(im / 255.0)
    return np.array(out)


def read_photo(path):
    """A photograph as floats in [0, 1]: (H, W) gray or (H, W, 3) RGB."""
    im = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if im is None:
        sys.exit("eval_images: cannot read %s" % path)
    if im.ndim == 3:
        im = cv2.cvtColor(im[:, :, :3], cv2.COLOR_BGR2RGB)
    return im / (65535.0 if im.dtype == np.uint16 else 255.0)


def write_photo(path, x):
    x8 = to8(x)
    cv2.imwrite(path, cv2.cvtColor(x8, cv2.COLOR_RGB2BGR) if x8.ndim == 3 else x8)


def centre_crop(x, side):
    h, w = x.shape[:2]
    side = min(side, h, w) // 4 * 4
    return x[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]


def psnr(ref, x, mask=None):
    vals = []
    for r, y in zip(ref, x):
        d = (r - y) ** 2
        mse = d[mask].mean() if mask is not None else d.mean()
        vals.append(10 * np.log10(1.0 / max(mse, 1e-12)))
    return float(np.mean(vals))


def ssim(ref, x):
    return float(np.mean([structural_similarity(r, y, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                                use_sample_covariance=False,
                                                channel_axis=-1 if r.ndim == 3 else None)
                          for r, y in zip(ref, x)]))


def run(cmd, quiet=False):
    """Runs cmd; quiet drops its stdout (drift prints every output path)."""
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None)
    return time.time() - t0


class Eval:
    def __init__(self, args):
        self.a = args
        self.clean = load_fashion(0, args.n)
        self.tune = load_fashion(TUNE_OFFSET, TUNE_COUNT)
        self.md = []

    def drift(self, task, src, dst, *extra):
        cmd = [self.a.drift, "image", task, src, "-o", dst, "--model", self.a.model, "--quiet",
               "--threads", str(self.a.threads)] + list(extra)
        return run(cmd, quiet=True)

    def table(self, title, header, rows):
        self.md.append("#### " + title + "\n")
        self.md.append("| " + " | ".join(header) + " |")
        self.md.append("|" + "---|" * len(header))
        for r in rows:
            self.md.append("| " + " | ".join(r) + " |")
        self.md.append("")
        print("\n".join(self.md[-len(rows) - 4:]), flush=True)

    # ---- denoising ----------------------------------------------------------

    @staticmethod
    def noisy(clean, sigma, seed):
        rng = np.random.default_rng(seed)
        return np.round(np.clip(clean + sigma * rng.normal(size=clean.shape), 0, 1) * 255) / 255

    @staticmethod
    def best(candidates, fn, clean, noisy):
        scores = [psnr(clean, [fn(y, c) for y in noisy]) for c in candidates]
        return candidates[int(np.argmax(scores))]

    def tuned_steps(self, name, task, args, clean, inputs, score, model=None, photo=False,
                    choices=(1, 2, 3, 5, 10, 20)):
        """drift's step count for a task, chosen on the tuning pictures like the peers' settings."""
        src = self.work("tune_%s_in" % name)
        (self.photo_set if photo else write_set)(src, inputs)
        scores = {}
        for steps in choices:
            dst = self.work("tune_%s_%d" % (name, steps))
            run([self.a.drift, "image", task, src, "-o", dst, "--model", model or self.a.model, "--quiet",
                 "--threads", str(self.a.threads), "--steps", str(steps)] + list(args), quiet=True)
            out = self.photo_read(dst, len(clean)) if photo else read_set(dst, len(clean))
            scores[steps] = score(clean, out)
        print("%s: drift PSNR by steps on the tuning picture(s): %s" %
              (name, ", ".join("%d: %.2f" % kv for kv in scores.items())), flush=True)
        return max(scores, key=scores.get)

    def denoise(self):
        rows = []
        # h and the noise sigma NLM subtracts (clipping to [0, 1] makes the
        # noise weaker than sigma in dark areas) are both tuned.
        nlm = lambda y, hf, s: denoise_nl_means(y, h=hf[0] * s, sigma=hf[1] * s, patch_size=5, patch_distance=6,
                                               fast_mode=True)
        for sigma in (0.1, 0.2, 0.3):
            noisy = self.noisy(self.clean, sigma, int(sigma * 1000))
            tnoisy = self.noisy(self.tune, sigma, 7 + int(sigma * 1000))
            src, dst = self.work("noisy%.1f" % sigma), self.work("drift_denoise%.1f" % sigma)
            write_set(src, noisy)
            steps = self.tuned_steps("denoise%.1f" % sigma, "denoise", ["--sigma", str(sigma)], self.tune, tnoisy, psnr)
            secs = self.drift("denoise", src, dst, "--sigma", str(sigma), "--steps", str(steps))
            out = {"drift (DDRM, %d step%s)" % (steps, "s" if steps > 1 else ""): read_set(dst, self.a.n)}
            h = self.best([(h, f) for f in (0.0, 0.5, 1.0) for h in (0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2)],
                          lambda y, c: nlm(y, c, sigma), self.tune, tnoisy)
            w = self.best([0.02, 0.04, 0.06, 0.08, 0.12, 0.16, 0.24, 0.32], lambda y, c: denoise_tv_chambolle(y, weight=c),
                          self.tune, tnoisy)
            out["non-local means (h = %.1f sigma, noise %.1f sigma)" % h] = np.array([nlm(y, h, sigma) for y in noisy])
            out["TV Chambolle (weight %.2f)" % w] = np.array([denoise_tv_chambolle(y, weight=w) for y in noisy])
            out["noisy input"] = noisy
            for name, x in out.items():
                rows.append(["%.1f" % sigma, name, "%.2f" % psnr(self.clean, x), "%.4f" % ssim(self.clean, x)])
            print("denoise sigma %.1f: drift %.1f s for %d pictures" % (sigma, secs, self.a.n), flush=True)
        self.table("Denoising (%d pictures)" % self.a.n, ["sigma", "method", "PSNR dB", "SSIM"], rows)

    # ---- inpainting ---------------------------------------------------------

    @staticmethod
    def masks():
        centre = np.zeros((32, 32), bool)
        centre[8:24, 8:24] = True
        rnd = np.random.default_rng(50).random((32, 32)) < 0.5
        return {"centre 16x16": centre, "50% random pixels": rnd}

    def inpaint(self):
        rows = []
        for mname, mask in self.masks().items():
            tag = "centre" if mname.startswith("centre") else "random"
            held = self.clean * ~mask
            src, mpath = self.work("holed_" + tag), os.path.join(self.a.work, "mask_%s.png" % tag)
            write_set(src, held)
            cv2.imwrite(mpath, mask.astype(np.uint8) * 255)
            out = {}
            for method in self.a.inpaint_methods.split(","):
                dst = self.work("drift_%s_%s" % (method, tag))
                extra, label = ["--mask", mpath, "--method", method], "RePaint"
                if method == "ddrm":
                    steps = self.tuned_steps("inpaint_%s" % tag, "inpaint", extra, self.tune, self.tune * ~mask,
                                             lambda c, x: psnr(c, x, mask))
                    extra, label = extra + ["--steps", str(steps)], "DDRM, %d steps" % steps
                secs = self.drift("inpaint", src, dst, *extra)
                print("inpaint %s %s: drift %.1f s" % (tag, method, secs), flush=True)
                out["drift (%s)" % label] = read_set(dst, self.a.n)
            held8 = [to8(y) for y in held]
            m8 = mask.astype(np.uint8)
            out["OpenCV Telea"] = np.array([cv2.inpaint(y, m8, 3, cv2.INPAINT_TELEA) / 255.0 for y in held8])
            out["OpenCV Navier-Stokes"] = np.array([cv2.inpaint(y, m8, 3, cv2.INPAINT_NS) / 255.0 for y in held8])
            out["skimage biharmonic"] = np.array([inpaint_biharmonic(y / 255.0, mask) for y in held8])
            out["hole left black"] = held
            for name, x in out.items():
                rows.append([mname, name, "%.2f" % psnr(self.clean, x, mask)])
        self.table("Inpainting (%d pictures; PSNR inside the hole)" % self.a.n, ["hole", "method", "PSNR dB"], rows)

    # ---- super-resolution ---------------------------------------------------

    def convert(self, src, count, filt, scale, dst):
        os.makedirs(dst, exist_ok=True)
        files = [os.path.join(src, "%05d.png" % i) for i in range(count)]
        run([CONVERT] + files + ["-filter", filt, "-resize", "%d%%" % (100 * scale),
                                 os.path.join(dst, "%05d.png")])
        return read_set(dst, count)

    def upscale(self):
        rows = []
        for scale in (2, 4):
            low = self.clean.reshape(self.a.n, 32 // scale, scale, 32 // scale, scale).mean(axis=(2, 4))
            src, dst = self.work("low%d" % scale), self.work("drift_up%d" % scale)
            write_set(src, low)
            tlow = self.tune.reshape(len(self.tune), 32 // scale, scale, 32 // scale, scale).mean(axis=(2, 4))
            steps = self.tuned_steps("upscale%d" % scale, "upscale", ["--scale", str(scale)], self.tune, tlow, psnr)
            secs = self.drift("upscale", src, dst, "--scale", str(scale), "--steps", str(steps))
            print("upscale x%d: drift %.1f s" % (scale, secs), flush=True)
            out = {"drift (DDRM, %d steps)" % steps: read_set(dst, self.a.n),
                   "ImageMagick bicubic (Catrom)": self.convert(src, self.a.n, "Catrom", scale,
                                                                self.work("im_cubic%d" % scale)),
                   "ImageMagick Lanczos": self.convert(src, self.a.n, "Lanczos", scale,
                                                       self.work("im_lanczos%d" % scale)),
                   "nearest (block copy)": np.kron(np.round(low * 255) / 255, np.ones((1, scale, scale)))}
            for name, x in out.items():
                rows.append(["x%d" % scale, name, "%.2f" % psnr(self.clean, x), "%.4f" % ssim(self.clean, x)])
        self.table("Super-resolution (%d pictures)" % self.a.n, ["scale", "method", "PSNR dB", "SSIM"], rows)

    # ---- generation ---------------------------------------------------------

    def generation(self):
        cls = self.a.classifier or os.path.join(self.a.work, "fashion-classifier.safetensors")
        if not os.path.exists(cls):
            run([self.a.eval_bin, "classifier", cls, str(self.a.classifier_train), str(self.a.classifier_epochs)])
        res = subprocess.run([self.a.eval_bin, "generation", self.a.model, cls, str(self.a.per_class),
                              str(self.a.guidance)], check=True, capture_output=True, text=True)
        print(res.stdout, flush=True)
        keys = ("test_accuracy", "sample_accuracy", "fd_samples", "fd_floor", "samples")
        kv = dict(l.split() for l in res.stdout.splitlines() if len(l.split()) == 2 and l.split()[0] in keys)
        rows = [["classifier accuracy on the 10,000 test pictures", "%.2f%%" % (100 * float(kv["test_accuracy"]))],
                ["classifier accuracy on %s samples (%d per class, guidance %g)" % (kv["samples"], self.a.per_class,
                                                                                 self.a.guidance),
                 "%.2f%%" % (100 * float(kv["sample_accuracy"]))],
                ["Frechet distance, samples vs test set", "%.3f" % float(kv["fd_samples"])],
                ["Frechet distance, %s training pictures vs test set (floor)" % kv["samples"],
                 "%.3f" % float(kv["fd_floor"])]]
        self.table("Generation", ["measure", "value"], rows)

    # ---- photographs (a photo model) -----------------------------------------

    def photos(self):
        if not self.a.photo_model:
            return
        names = self.a.photos.split(",")
        clean = [centre_crop(read_photo(os.path.join(PHOTO_DIR, n)), self.a.photo_crop) for n in names]
        tune = centre_crop(read_photo(os.path.join(PHOTO_DIR, PHOTO_TUNE)), self.a.photo_crop)
        rows = []
        tasks = self.a.photo_tasks.split(",")
        for sigma in (0.1, 0.2, 0.3) if "denoise" in tasks else ():
            out = self.photo_denoise(clean, tune, sigma)
            for name, x in out.items():
                rows.append(["denoise sigma %.1f" % sigma, name, "%.2f" % psnr(clean, x), "%.4f" % ssim(clean, x)])
        for f in (2, 4) if "upscale" in tasks else ():
            for name, x in self.photo_upscale(clean, tune, f).items():
                rows.append(["upscale x%d" % f, name, "%.2f" % psnr(clean, x), "%.4f" % ssim(clean, x)])
        for hole, (mask, out) in (self.photo_inpaint(clean, tune) if "inpaint" in tasks else {}).items():
            for name, x in out.items():
                rows.append(["inpaint %s (in the hole)" % hole, name, "%.2f" % psnr(clean, x, mask), ""])
        self.table("Photographs (%s; centre crops of %d pixels)" % (", ".join(names), self.a.photo_crop),
                   ["task", "method", "PSNR dB", "SSIM"], rows)

    def photo_inpaint(self, clean, tune):
        """A centre square of a quarter of the area, and 50% random pixels:
        drift (DDRM) against OpenCV Telea and Navier-Stokes and scikit-image
        biharmonic, PSNR inside the hole."""
        side = self.a.photo_crop
        centre = np.zeros((side, side), bool)
        centre[side // 4:3 * side // 4, side // 4:3 * side // 4] = True
        rnd = np.random.default_rng(51).random((side, side)) < 0.5
        results = {}
        for tag, mask in (("centre", centre), ("random", rnd)):
            held = [c * ~(mask[..., None] if c.ndim == 3 else mask) for c in clean]
            src, dst = self.work("photo_holed_" + tag), self.work("photo_inpaint_" + tag)
            mpath = os.path.join(self.a.work, "photo_mask_%s.png" % tag)
            self.photo_set(src, held)
            cv2.imwrite(mpath, mask.astype(np.uint8) * 255)
            extra = ["--mask", mpath, "--method", "ddrm"]
            thole = tune * ~(mask[..., None] if tune.ndim == 3 else mask)
            steps = self.tuned_steps("photo_inpaint_" + tag, "inpaint", extra, [tune], [thole],
                                     lambda c, x: psnr(c, x, mask), self.a.photo_model, photo=True)
            run([self.a.drift, "image", "inpaint", src, "-o", dst, "--model", self.a.photo_model, "--quiet",
                 "--threads", str(self.a.threads), "--steps", str(steps)] + extra, quiet=True)
            out = {"drift (DDRM, %d steps)" % steps: self.photo_read(dst, len(clean))}
            out.update(self.restore_model_run("inpaint_" + tag, "inpaint", ["--mask", mpath], src, tune, thole,
                                              lambda c, x: psnr(c, x, mask), len(clean)))
            m8 = mask.astype(np.uint8)
            as8 = lambda y: to8(y[..., ::-1] if y.ndim == 3 else y)  # OpenCV wants BGR
            back = lambda y: (y[..., ::-1] if y.ndim == 3 else y) / 255.0
            out["OpenCV Telea"] = [back(cv2.inpaint(as8(y), m8, 3, cv2.INPAINT_TELEA)) for y in held]
            out["OpenCV Navier-Stokes"] = [back(cv2.inpaint(as8(y), m8, 3, cv2.INPAINT_NS)) for y in held]
            out["skimage biharmonic"] = [inpaint_biharmonic(y, mask, channel_axis=-1 if y.ndim == 3 else None)
                                         for y in held]
            results["centre quarter" if tag == "centre" else "50% random pixels"] = (mask, out)
        return results

    def restore_model_run(self, name, task, args, src, tune, tune_input, score, count):
        """The conditional restoration model (--restore-model), if given, on
        the same inputs, its step count tuned on the tuning photograph."""
        if not self.a.restore_model:
            return {}
        steps = self.tuned_steps("photo_restore_" + name, task, args, [tune], [tune_input], score,
                                 self.a.restore_model, photo=True, choices=(1, 2, 5))
        dst = self.work("photo_restore_" + name)
        run([self.a.drift, "image", task, src, "-o", dst, "--model", self.a.restore_model, "--quiet",
             "--threads", str(self.a.threads), "--steps", str(steps)] + args, quiet=True)
        label = "drift restoration model (%d step%s)" % (steps, "s" if steps > 1 else "")
        return {label: self.photo_read(dst, count)}

    def photo_set(self, folder, imgs):
        os.makedirs(folder, exist_ok=True)
        for i, im in enumerate(imgs):
            write_photo(os.path.join(folder, "%05d.png" % i), im)

    def photo_read(self, folder, count):
        return [read_photo(os.path.join(folder, "%05d.png" % i)) for i in range(count)]

    def photo_denoise(self, clean, tune, sigma):
        rng = np.random.default_rng(int(sigma * 1000))
        noisy = [np.round(np.clip(c + sigma * rng.normal(size=c.shape), 0, 1) * 255) / 255 for c in clean]
        tnoisy = np.round(np.clip(tune + sigma * rng.normal(size=tune.shape), 0, 1) * 255) / 255
        src, dst = self.work("photo_noisy%.1f" % sigma), self.work("photo_drift%.1f" % sigma)
        self.photo_set(src, noisy)
        steps = self.tuned_steps("photo_denoise%.1f" % sigma, "denoise", ["--sigma", str(sigma)], [tune], [tnoisy],
                                 psnr, self.a.photo_model, photo=True)
        run([self.a.drift, "image", "denoise", src, "-o", dst, "--model", self.a.photo_model, "--quiet",
             "--threads", str(self.a.threads), "--sigma", str(sigma), "--steps", str(steps)], quiet=True)
        axis = lambda y: -1 if y.ndim == 3 else None
        nlm = lambda y, hf: denoise_nl_means(y, h=hf[0] * sigma, sigma=hf[1] * sigma, patch_size=5, patch_distance=6,
                                             fast_mode=True, channel_axis=axis(y))
        tv = lambda y, w: denoise_tv_chambolle(y, weight=w, channel_axis=axis(y))
        h = self.best([(h, f) for f in (0.0, 0.5, 1.0) for h in (0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0)], nlm, [tune],
                      [tnoisy])
        w = self.best([0.02, 0.04, 0.06, 0.08, 0.12, 0.16, 0.24], tv, [tune], [tnoisy])
        return {"drift (DDRM, %d step%s)" % (steps, "s" if steps > 1 else ""): self.photo_read(dst, len(clean)),
                "non-local means (h = %.2f sigma, noise %.1f sigma)" % h: [nlm(y, h) for y in noisy],
                "TV Chambolle (weight %.2f)" % w: [tv(y, w) for y in noisy],
                "noisy input": noisy}

    def photo_upscale(self, clean, tune, f):
        def shrink(c):
            h, w = c.shape[:2]
            return c.reshape(h // f, f, w // f, f, *c.shape[2:]).mean(axis=(1, 3))
        low = [shrink(c) for c in clean]
        src, dst = self.work("photo_low%d" % f), self.work("photo_up%d" % f)
        self.photo_set(src, low)
        steps = self.tuned_steps("photo_upscale%d" % f, "upscale", ["--scale", str(f)], [tune], [shrink(tune)], psnr,
                                 self.a.photo_model, photo=True)
        run([self.a.drift, "image", "upscale", src, "-o", dst, "--model", self.a.photo_model, "--quiet",
             "--threads", str(self.a.threads), "--scale", str(f), "--steps", str(steps)], quiet=True)
        out = {"drift (DDRM, %d steps)" % steps: self.photo_read(dst, len(clean))}
        out.update(self.restore_model_run("upscale%d" % f, "upscale", ["--scale", str(f)], src, tune, shrink(tune),
                                          psnr, len(clean)))
        for label, filt in (("ImageMagick bicubic (Catrom)", "Catrom"), ("ImageMagick Lanczos", "Lanczos")):
            folder = self.work("photo_im%d_%s" % (f, filt))
            os.makedirs(folder, exist_ok=True)
            files = [os.path.join(src, "%05d.png" % i) for i in range(len(clean))]
            run([CONVERT] + files + ["-filter", filt, "-resize", "%d%%" % (100 * f), os.path.join(folder, "%05d.png")])
            out[label] = self.photo_read(folder, len(clean))
        return out

    def work(self, name):
        return os.path.join(self.a.work, name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--drift", required=True)
    p.add_argument("--eval-bin", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--guidance", type=float, default=2.0)
    p.add_argument("--classifier", default=None, help="a trained classifier file (default: train one)")
    p.add_argument("--classifier-train", type=int, default=0, help="training pictures (0 = all 60,000)")
    p.add_argument("--classifier-epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work", default="/tmp/drift-eval-images")
    p.add_argument("--tasks", default="denoise,inpaint,upscale,generation,photos")
    p.add_argument("--inpaint-methods", default="repaint,ddrm", help="drift's inpainting methods to score")
    p.add_argument("--photo-model", default=None, help="an RGB photo model (the photos task runs only with one)")
    p.add_argument("--restore-model", default=None,
                   help="a conditional restoration model, run next to the photo model on upscaling and inpainting")
    p.add_argument("--photo-tasks", default="denoise,upscale,inpaint", help="which photo tasks to run")
    p.add_argument("--photos", default=PHOTOS, help="comma-separated files of scikit-image's data folder")
    p.add_argument("--photo-crop", type=int, default=256, help="side of the centre crop of each photograph")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    e = Eval(a)
    for task in a.tasks.split(","):
        getattr(e, task)()
    with open(os.path.join(a.work, "results.md"), "w") as f:
        f.write("\n".join(e.md) + "\n")


if __name__ == "__main__":
    main()
