/* test_vision_image.c: drift_image, PNG write/read round trips of every
 * format, PNG and JPEG fixtures made by ImageMagick
 * (tests/fixtures/images/make_fixtures.sh) compared with ImageMagick's own
 * decoding, refusal of broken files, conversions and folder listing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drift.h"
#include "image.h"
#include "imagedir.h"
#include "jpegio.h"
#include "pngio.h"
#include "test_vision_util.h"
#include "testutil.h"

static const char *fixture(const char *name)
{
    static char buf[4][4096];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 4096, "%s", test_path("fixtures/images/"));
    strncat(b, name, 4096 - strlen(b) - 1);
    return b;
}

/* An image whose samples are random 8-bit levels (levels) or any value. */
static void fill_random(drift_image *img, uint64_t seed, int levels)
{
    drift_rng r;
    drift_rng_init(&r, seed, 0);
    for (size_t i = 0; i < drift_image_samples(img); i++)
        img->data[i] = levels ? (float)drift_rng_below(&r, (uint32_t)levels + 1) / (float)levels
                              : (float)drift_rng_uniform(&r);
}

/* The PNG header's bit depth and colour type, read from the bytes. */
static void png_header_fields(const char *path, int *depth, int *type)
{
    size_t n;
    unsigned char *b = vt_read_bytes(path, &n);
    *depth = b && n > 25 ? b[24] : -1;
    *type = b && n > 25 ? b[25] : -1;
    free(b);
}

static void test_round_trip(int channels, int depth)
{
    static const int png_types[5] = {-1, 0, 4, 2, 6};
    drift_image img, back;
    CHECK(drift_image_alloc(&img, 13, 7, channels) == DRIFT_OK, "alloc");
    fill_random(&img, 100 + (uint64_t)channels, depth == 8 ? 255 : 0);
    const char *path = vt_tmp("round.png");
    CHECK(drift_png_write(path, &img, depth) == DRIFT_OK, "write %d ch %d-bit: %s", channels, depth,
          drift_last_error());
    int fdepth, ftype;
    png_header_fields(path, &fdepth, &ftype);
    CHECK(fdepth == depth && ftype == png_types[channels], "file says %d-bit type %d for %d ch",
          fdepth, ftype, channels);
    CHECK(drift_image_read(path, &back) == DRIFT_OK, "read back: %s", drift_last_error());
    CHECK(back.width == 13 && back.height == 7 && back.channels == channels, "size %dx%dx%d",
          back.width, back.height, back.channels);
    if (back.data && back.channels == channels) {
        double err = max_abs_diff(back.data, img.data, drift_image_samples(&img));
        if (depth == 8)
            CHECK(err == 0, "8-bit %d ch round trip not exact: %g", channels, err);
        else
            CHECK(err <= 1.0 / 65535, "16-bit %d ch round trip error %g", channels, err);
    }
    drift_image_free(&img);
    drift_image_free(&back);
}

/* 16-bit levels come back exactly; alpha 0 keeps its colour (no premultiply). */
static void test_exact16_and_alpha(void)
{
    drift_image img, back;
    CHECK(drift_image_alloc(&img, 5, 4, 4) == DRIFT_OK, "alloc");
    fill_random(&img, 7, 65535);
    float *p = img.data + 4 * 6;
    p[0] = 0.7f, p[1] = 0.2f, p[2] = 0.9f, p[3] = 0.0f; /* invisible but coloured */
    p[4] = 0.3f, p[5] = 0.3f, p[6] = 0.3f, p[7] = 0.5f;
    for (int i = 0; i < 8; i++)
        p[i] = roundf(p[i] * 65535.0f) / 65535.0f;
    const char *path = vt_tmp("alpha16.png");
    CHECK(drift_png_write(path, &img, 16) == DRIFT_OK, "write: %s", drift_last_error());
    CHECK(drift_png_read(path, &back) == DRIFT_OK, "read: %s", drift_last_error());
    if (back.data && back.channels == 4)
        CHECK(max_abs_diff(back.data, img.data, drift_image_samples(&img)) == 0, "16-bit levels not exact");
    drift_image_free(&img);
    drift_image_free(&back);
}

static void test_clamping(void)
{
    drift_image img, back;
    CHECK(drift_image_alloc(&img, 3, 1, 1) == DRIFT_OK, "alloc");
    img.data[0] = -0.5f, img.data[1] = 1.5f, img.data[2] = NAN;
    const char *path = vt_tmp("clamp.png");
    CHECK(drift_png_write(path, &img, 8) == DRIFT_OK, "write: %s", drift_last_error());
    CHECK(drift_png_read(path, &back) == DRIFT_OK, "read: %s", drift_last_error());
    if (back.data)
        CHECK(back.data[0] == 0 && back.data[1] == 1 && back.data[2] == 0, "clamped to %g %g %g",
              back.data[0], back.data[1], back.data[2]);
    drift_image_free(&img);
    drift_image_free(&back);
}

/* Reads a fixture and compares it with ImageMagick's raw dump. */
static void check_fixture(const char *name, const char *raw_name, int w, int h, int ch, int bytes16,
                          double tol)
{
    drift_image img;
    drift_status s = drift_image_read(fixture(name), &img);
    CHECK(s == DRIFT_OK, "%s: %s", name, drift_last_error());
    if (s != DRIFT_OK)
        return;
    CHECK(img.width == w && img.height == h && img.channels == ch, "%s is %dx%dx%d", name, img.width,
          img.height, img.channels);
    size_t n, samples = (size_t)w * h * ch;
    unsigned char *raw = vt_read_bytes(fixture(raw_name), &n);
    CHECK(raw && n == samples * (bytes16 ? 2 : 1), "%s: raw dump has %zu bytes", raw_name, n);
    if (raw && n == samples * (bytes16 ? 2 : 1) && drift_image_samples(&img) == samples) {
        double worst = 0;
        for (size_t i = 0; i < samples; i++) {
            double want = bytes16 ? (raw[2 * i] << 8 | raw[2 * i + 1]) / 65535.0 : raw[i] / 255.0;
            worst = fmax(worst, fabs(img.data[i] - want));
        }
        CHECK(worst <= tol, "%s differs from ImageMagick's decoding by %g", name, worst);
    }
    free(raw);
    drift_image_free(&img);
}

static void test_fixtures(void)
{
    const double exact = 1e-7;
    check_fixture("palette.png", "palette.rgb", 12, 16, 3, 0, exact);
    check_fixture("palette_trns.png", "palette_trns.rgba", 16, 12, 4, 0, exact);
    check_fixture("interlaced.png", "interlaced.rgb", 17, 13, 3, 0, exact);
    check_fixture("gray16_inter.png", "gray16_inter.gray16", 11, 10, 1, 1, exact);
    check_fixture("gray2.png", "gray2.gray", 9, 7, 1, 0, exact);
    check_fixture("palette4.png", "palette4.rgb", 10, 6, 3, 0, exact);
    check_fixture("rgba16.png", "rgba16.rgba16", 9, 8, 4, 1, exact);
    check_fixture("ga.png", "ga.graya", 8, 5, 2, 0, exact);
    check_fixture("photo.jpg", "photo.rgb", 24, 16, 3, 0, exact);
    check_fixture("progressive.jpg", "progressive.rgb", 20, 14, 3, 0, exact);
    check_fixture("gray.jpg", "gray.gray", 15, 11, 1, 0, exact);
}

/* A broken file must fail with `want`, a message naming the file and
 * containing `part`, and leave the image empty. */
static void check_refused(const char *name, drift_status want, const char *part)
{
    drift_image img;
    memset(&img, 0xff, sizeof img);
    drift_clear_error();
    drift_status s = drift_image_read(fixture(name), &img);
    const char *msg = drift_last_error();
    CHECK(s == want, "%s: status %s, want %s (%s)", name, drift_status_name(s), drift_status_name(want), msg);
    CHECK(vt_contains(msg, name), "message does not name %s: %s", name, msg);
    CHECK(vt_contains(msg, part), "%s: message lacks '%s': %s", name, part, msg);
    CHECK(img.data == NULL && img.width == 0, "%s: image not left empty", name);
    drift_image_free(&img);
}

static void test_broken(void)
{
    check_refused("truncated.png", DRIFT_ERR_FORMAT, "truncated");
    check_refused("badcrc.png", DRIFT_ERR_FORMAT, "CRC");
    check_refused("zero.png", DRIFT_ERR_FORMAT, "IHDR");
    check_refused("huge.png", DRIFT_ERR_FORMAT, "limit");
    check_refused("notimage.png", DRIFT_ERR_FORMAT, "neither");
    check_refused("empty.png", DRIFT_ERR_FORMAT, "neither");
    check_refused("truncated.jpg", DRIFT_ERR_FORMAT, "JPEG");
    check_refused("huge.jpg", DRIFT_ERR_FORMAT, "limit");
    check_refused("zero.jpg", DRIFT_ERR_FORMAT, "JPEG");
    check_refused("garbage.jpg", DRIFT_ERR_FORMAT, "JPEG");
    check_refused("cmyk.jpg", DRIFT_ERR_UNSUPPORTED, "CMYK");
    check_refused("no-such-file.png", DRIFT_ERR_IO, "cannot open");
    drift_image dir;
    CHECK(drift_image_read(test_path("fixtures/images"), &dir) == DRIFT_ERR_IO, "a folder read as an image");
    CHECK(vt_contains(drift_last_error(), "not a regular file"), "message: %s", drift_last_error());
    drift_image img;
    CHECK(drift_png_read(fixture("photo.jpg"), &img) == DRIFT_ERR_FORMAT, "PNG reader took a JPEG");
    CHECK(drift_jpeg_read(fixture("interlaced.png"), &img) == DRIFT_ERR_FORMAT, "JPEG reader took a PNG");
}

static void test_write_errors(void)
{
    drift_image img;
    CHECK(drift_image_alloc(&img, 4, 4, 3) == DRIFT_OK, "alloc");
    CHECK(drift_png_write(vt_tmp("no/such/folder/x.png"), &img, 8) == DRIFT_ERR_IO, "write into a missing folder");
    CHECK(drift_png_write(vt_tmp("bad.png"), &img, 12) == DRIFT_ERR_ARG, "12-bit accepted");
    CHECK(!vt_exists(vt_tmp("bad.png")), "file left after a refused write");
    drift_image none = {0};
    CHECK(drift_png_write(vt_tmp("none.png"), &none, 8) == DRIFT_ERR_ARG, "empty image accepted");
    drift_image_free(&img);
    drift_image tmp;
    CHECK(drift_image_alloc(&tmp, 0, 5, 1) != DRIFT_OK && tmp.data == NULL, "0-wide image allocated");
    CHECK(drift_image_alloc(&tmp, 5, 5, 5) != DRIFT_OK, "5 channels allocated");
    CHECK(drift_image_alloc(&tmp, 20000, 20000, 1) == DRIFT_ERR_FORMAT, "over the pixel limit");
}

static void test_convert_and_layout(void)
{
    drift_image rgba, ga, gray, rgb;
    CHECK(drift_image_alloc(&rgba, 2, 1, 4) == DRIFT_OK, "alloc");
    const float px[8] = {1, 0, 0, 0.25f, 0.2f, 0.4f, 0.6f, 1};
    memcpy(rgba.data, px, sizeof px);
    CHECK(drift_image_convert(&rgba, 2, &ga) == DRIFT_OK, "to GA");
    CHECK(fabsf(ga.data[0] - 0.2126f) < 1e-6f && ga.data[1] == 0.25f, "luma %g alpha %g", ga.data[0], ga.data[1]);
    CHECK(fabsf(ga.data[2] - (0.2126f * 0.2f + 0.7152f * 0.4f + 0.0722f * 0.6f)) < 1e-6f, "luma 2");
    CHECK(drift_image_convert(&ga, 1, &gray) == DRIFT_OK && gray.channels == 1 && gray.data[0] == ga.data[0], "to gray");
    CHECK(drift_image_convert(&gray, 4, &rgb) == DRIFT_OK, "to RGBA");
    CHECK(rgb.data[0] == gray.data[0] && rgb.data[2] == gray.data[0] && rgb.data[3] == 1, "gray -> RGBA");
    float chw[8], inter[8];
    drift_image_to_chw(&rgba, chw);
    CHECK(chw[0] == 1 && chw[1] == 0.2f && chw[6] == 0.25f && chw[7] == 1, "planar order");
    memcpy(inter, rgba.data, sizeof inter);
    memset(rgba.data, 0, sizeof inter);
    drift_image_from_chw(&rgba, chw);
    CHECK(memcmp(inter, rgba.data, sizeof inter) == 0, "planar round trip");
    drift_image_free(&rgba);
    drift_image_free(&ga);
    drift_image_free(&gray);
    drift_image_free(&rgb);
}

static void test_listing(void)
{
    const char *dirs[] = {"tree", "tree/sub", "tree/sub/deeper", "tree/z", "tree/.git"};
    for (int i = 0; i < 5; i++)
        mkdir(vt_tmp(dirs[i]), 0755);
    const char *files[] = {"tree/b.png", "tree/a.JPG", "tree/sub/c.jpeg", "tree/sub/deeper/d.png",
                           "tree/.hidden.png", "tree/notes.txt", "tree/.git/e.png", "tree/z/png"};
    for (int i = 0; i < 8; i++)
        vt_write_bytes(vt_tmp(files[i]), "x", 1);
    drift_path_list l;
    CHECK(drift_image_list(vt_tmp("tree"), &l) == DRIFT_OK, "list: %s", drift_last_error());
    const char *want[] = {"a.JPG", "b.png", "sub/c.jpeg", "sub/deeper/d.png"};
    CHECK(l.count == 4, "%zu files listed", l.count);
    for (size_t i = 0; i < l.count && i < 4; i++)
        CHECK(strcmp(l.paths[i], want[i]) == 0, "entry %zu is %s, want %s", i, l.paths[i], want[i]);
    drift_path_list_free(&l);
    CHECK(drift_image_list(vt_tmp("missing"), &l) == DRIFT_ERR_IO && l.count == 0, "missing folder");
    CHECK(vt_contains(drift_last_error(), "missing"), "message: %s", drift_last_error());
}

int main(void)
{
    for (int ch = 1; ch <= 4; ch++) {
        test_round_trip(ch, 8);
        test_round_trip(ch, 16);
    }
    test_exact16_and_alpha();
    test_clamping();
    test_fixtures();
    test_broken();
    test_write_errors();
    test_convert_and_layout();
    test_listing();
    CHECK(vt_count_entries(vt_tmp("")) >= 0, "scratch folder");
    CHECK(vt_no_temp_files(vt_tmp("")), "a temporary file was left behind");
    return test_finish("test_vision_image");
}
