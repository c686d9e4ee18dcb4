/* test_vision_idx.c: IDX reading. The real Fashion-MNIST test set from
 * Debian's dataset-fashion-mnist is compared with a dump made by numpy +
 * gzip (tests/golden/make_vision.py); hand-made broken files (bad magic,
 * type, dimensions, sizes, truncated gzip streams) must be refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "drift.h"
#include "idx.h"
#include "test_vision_util.h"
#include "testutil.h"

#define FASHION "/usr/share/datasets/fashion-mnist/"

static void compare_image(const float *got, int stride, int off, const float *want, const char *what)
{
    double worst = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            worst = fmax(worst, fabs(got[(y + off) * stride + x + off] - want[y * 28 + x]));
    CHECK(worst <= 1e-7, "%s differs from numpy by %g", what, worst);
}

static void test_fashion(const golden_file *g)
{
    drift_idx_images im;
    drift_status s = drift_idx_read_images(FASHION "t10k-images-idx3-ubyte.gz", 0, &im);
    CHECK(s == DRIFT_OK, "read images: %s", drift_last_error());
    const golden_tensor *shape = golden_get(g, "fashion_shape"), *first = golden_get(g, "fashion_first16");
    const golden_tensor *last = golden_get(g, "fashion_last"), *sum = golden_get(g, "fashion_sum");
    if (s != DRIFT_OK || !shape || !first || !last || !sum)
        return;
    CHECK(im.count == (int)shape->data[0] && im.height == (int)shape->data[1] && im.width == (int)shape->data[2],
          "shape %d x %d x %d", im.count, im.height, im.width);
    for (int i = 0; i < 16; i++)
        compare_image(im.data + (size_t)i * 784, 28, 0, first->data + i * 784, "a first image");
    compare_image(im.data + (size_t)(im.count - 1) * 784, 28, 0, last->data, "the last image");
    double total = 0;
    for (size_t i = 0; i < (size_t)im.count * 784; i++)
        total += im.data[i];
    CHECK(fabs(total - sum->data[0]) <= 1e-6 * sum->data[0], "pixel sum %.3f, numpy %.3f", total, (double)sum->data[0]);
    drift_idx_images_free(&im);

    CHECK(drift_idx_read_images(FASHION "t10k-images-idx3-ubyte.gz", 32, &im) == DRIFT_OK, "padded");
    CHECK(im.height == 32 && im.width == 32, "padded to %dx%d", im.height, im.width);
    if (im.data) {
        compare_image(im.data + 5 * 1024, 32, 2, first->data + 5 * 784, "a padded image");
        double border = 0;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                if (y < 2 || y >= 30 || x < 2 || x >= 30)
                    border += im.data[5 * 1024 + y * 32 + x];
        CHECK(border == 0, "padding not zero: %g", border);
    }
    drift_idx_images_free(&im);
}

static void test_labels(const golden_file *g)
{
    drift_idx_labels lb;
    drift_status s = drift_idx_read_labels(FASHION "t10k-labels-idx1-ubyte.gz", &lb);
    CHECK(s == DRIFT_OK, "read labels: %s", drift_last_error());
    const golden_tensor *first = golden_get(g, "fashion_labels200"), *last = golden_get(g, "fashion_label_last");
    if (s != DRIFT_OK || !first || !last)
        return;
    CHECK(lb.count == 10000, "%d labels", lb.count);
    int bad = 0;
    for (int i = 0; i < 200 && i < lb.count; i++)
        bad += lb.labels[i] != (int)first->data[i];
    CHECK(bad == 0, "%d of the first 200 labels differ", bad);
    CHECK(lb.labels[lb.count - 1] == (int)last->data[0], "last label %d", lb.labels[lb.count - 1]);
    CHECK(strcmp(drift_fashion_mnist_class(9), "Ankle boot") == 0 && drift_fashion_mnist_class(10) == NULL,
          "class names");
    drift_idx_labels_free(&lb);
}

/* A plain (uncompressed) IDX file from raw bytes. */
static const char *plain_file(const char *name, const unsigned char *b, size_t n)
{
    const char *path = vt_tmp(name);
    CHECK(vt_write_bytes(path, b, n), "write %s", path);
    return path;
}

static const char *gz_file(const char *name, const unsigned char *b, size_t n)
{
    const char *path = vt_tmp(name);
    gzFile gz = gzopen(path, "wb");
    CHECK(gz && gzwrite(gz, b, (unsigned)n) == (int)n && gzclose(gz) == Z_OK, "gzip %s", path);
    return path;
}

static void check_refused_labels(const char *path, drift_status want, const char *part)
{
    drift_idx_labels lb;
    drift_status s = drift_idx_read_labels(path, &lb);
    CHECK(s == want, "%s: %s (%s)", path, drift_status_name(s), drift_last_error());
    CHECK(vt_contains(drift_last_error(), path), "message lacks the file name: %s", drift_last_error());
    CHECK(vt_contains(drift_last_error(), part), "message lacks '%s': %s", part, drift_last_error());
    CHECK(lb.labels == NULL && lb.count == 0, "labels left behind");
}

static void test_bad_headers(void)
{
    unsigned char good[8 + 10] = {0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
    drift_idx_labels lb;
    CHECK(drift_idx_read_labels(gz_file("good.gz", good, sizeof good), &lb) == DRIFT_OK && lb.count == 10 &&
              lb.labels[9] == 0 && lb.labels[2] == 3, "small gz labels: %s", drift_last_error());
    drift_idx_labels_free(&lb);
    CHECK(drift_idx_read_labels(plain_file("good.idx", good, sizeof good), &lb) == DRIFT_OK && lb.count == 10,
          "small plain labels: %s", drift_last_error());
    drift_idx_labels_free(&lb);

    unsigned char b[sizeof good + 1];
    memcpy(b, good, sizeof good);
    b[0] = 1;
    check_refused_labels(gz_file("magic.gz", b, sizeof good), DRIFT_ERR_FORMAT, "magic");
    memcpy(b, good, sizeof good);
    b[2] = 0x0D;
    check_refused_labels(plain_file("float.idx", b, sizeof good), DRIFT_ERR_UNSUPPORTED, "0x0d");
    memcpy(b, good, sizeof good);
    b[3] = 3;
    check_refused_labels(plain_file("ndim.idx", b, sizeof good), DRIFT_ERR_FORMAT, "dimensions");
    memcpy(b, good, sizeof good);
    b[7] = 0;
    check_refused_labels(plain_file("zero.idx", b, sizeof good), DRIFT_ERR_FORMAT, "dimension");
    memcpy(b, good, sizeof good);
    b[4] = 0x7f; /* 2 billion labels in an 18-byte file */
    check_refused_labels(gz_file("huge.gz", b, sizeof good), DRIFT_ERR_FORMAT, "dimension");
    memcpy(b, good, sizeof good);
    b[sizeof good] = 42;
    check_refused_labels(plain_file("long.idx", b, sizeof b), DRIFT_ERR_FORMAT, "promises");
    check_refused_labels(plain_file("short.idx", good, sizeof good - 3), DRIFT_ERR_FORMAT, "promises");
    check_refused_labels(plain_file("stub.idx", good, 5), DRIFT_ERR_FORMAT, "header");
    check_refused_labels(vt_tmp("absent.gz"), DRIFT_ERR_IO, "cannot open");

    unsigned char img[16 + 4] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 51, 102};
    drift_idx_images im;
    CHECK(drift_idx_read_images(plain_file("img.idx", img, sizeof img), 0, &im) == DRIFT_OK && im.data &&
              im.data[1] == 1.0f && im.data[2] == 0.2f, "2x2 image: %s", drift_last_error());
    drift_idx_images_free(&im);
    CHECK(drift_idx_read_images(vt_tmp("img.idx"), 1, &im) == DRIFT_ERR_ARG && !im.data, "pad smaller than image");
    CHECK(drift_idx_read_images(vt_tmp("good.gz"), 0, &im) == DRIFT_ERR_FORMAT, "labels read as images");
}

/* Real .gz files cut short: the trailer check, and a stream that ends
 * early under an intact trailer. */
static void test_truncated_gz(void)
{
    size_t n;
    unsigned char *gz = vt_read_bytes(FASHION "t10k-labels-idx1-ubyte.gz", &n);
    CHECK(gz && n > 1000, "read the labels .gz");
    if (!gz || n <= 1000) {
        free(gz);
        return;
    }
    check_refused_labels(plain_file("cut.gz", gz, n / 2), DRIFT_ERR_FORMAT, "promises");
    unsigned char *spliced = malloc(n / 2 + 8);
    memcpy(spliced, gz, n / 2);
    memcpy(spliced + n / 2, gz + n - 8, 8); /* keep CRC and length */
    check_refused_labels(plain_file("spliced.gz", spliced, n / 2 + 8), DRIFT_ERR_FORMAT, "truncated");
    free(spliced);
    free(gz);
}

int main(void)
{
    golden_file g;
    if (golden_load(&g, test_path("golden/vision.bin"))) {
        test_fashion(&g);
        test_labels(&g);
    }
    test_bad_headers();
    test_truncated_gz();
    golden_free(&g);
    return test_finish("test_vision_idx");
}
