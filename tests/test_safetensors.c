/* test_safetensors.c: safetensors checkpoints: half-precision conversions
 * against numpy and torch, reading a file written by hand to the spec,
 * checking drift's own files byte by byte against the spec, round trips,
 * refusal of broken files, loading into parameter sets, model files,
 * atomic saves and bit-exact training resume. Fixtures and the script that
 * made them: tests/fixtures/safetensors/. */
#include "drift.h"
#include "core/optim.h"
#include "core/params.h"
#include "core/safetensors.h"
#include "testutil.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static const char *tmp_file(const char *name)
{
    static _Thread_local char buf[2][256];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    return buf[which];
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ---- conversions against numpy (f16) and torch (bf16) ----------------- */

/* NaN has many encodings: any NaN matches any NaN; otherwise bits must. */
static bool same_half(uint16_t got, float want_bits, int exp_mask, float x)
{
    uint16_t want = (uint16_t)want_bits, mant = (uint16_t)(0xffff >> 1 & ~exp_mask);
    if (isnan(x))
        return (got & exp_mask) == exp_mask && (got & mant) != 0;
    return got == want;
}

static void test_half_conversions(void)
{
    golden_file g;
    if (!golden_load(&g, test_path("fixtures/safetensors/halves.bin")))
        return;
    const golden_tensor *all = golden_get(&g, "f16_all_pos"), *x = golden_get(&g, "probe"),
                        *f16 = golden_get(&g, "probe_f16"), *bf = golden_get(&g, "probe_bf16");
    if (!all || !x || !f16 || !bf) {
        golden_free(&g);
        return;
    }
    int bad_decode = 0, bad_trip = 0;
    for (uint32_t h = 0; h < 0x8000; h++) {
        float pos = drift_f16_to_f32((uint16_t)h), neg = drift_f16_to_f32((uint16_t)(h | 0x8000));
        bad_decode += bits(pos) != bits(all->data[h]) || bits(neg) != (bits(all->data[h]) | 0x80000000u);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        bad_trip += !nan && (drift_f32_to_f16(pos) != h || drift_f32_to_f16(neg) != (h | 0x8000));
    }
    CHECK(bad_decode == 0, "%d halves decode differently from numpy", bad_decode);
    CHECK(bad_trip == 0, "%d halves do not survive f16 -> f32 -> f16", bad_trip);
    int bad16 = 0, badbf = 0;
    for (size_t i = 0; i < x->n; i++) {
        uint16_t a = drift_f32_to_f16(x->data[i]), b = drift_f32_to_bf16(x->data[i]);
        if (!same_half(a, f16->data[i], 0x7c00, x->data[i]) && bad16++ < 3)
            fprintf(stderr, "f16(%.9g): drift %04x numpy %04x\n", (double)x->data[i], a,
                    (unsigned)f16->data[i]);
        if (!same_half(b, bf->data[i], 0x7f80, x->data[i]) && badbf++ < 3)
            fprintf(stderr, "bf16(%.9g): drift %04x torch %04x\n", (double)x->data[i], b,
                    (unsigned)bf->data[i]);
    }
    CHECK(bad16 == 0, "%d of %zu probes round to other halves than numpy's", bad16, x->n);
    CHECK(badbf == 0, "%d of %zu probes round to other bfloat16 than torch's", badbf, x->n);
    CHECK(drift_f32_to_f16(65520.0f) == 0x7c00 && drift_f32_to_f16(-INFINITY) == 0xfc00 &&
              drift_f32_to_f16(0x1p-25f) == 0 && drift_f32_to_f16(0x1.000002p-25f) == 1 &&
              drift_bf16_to_f32(drift_f32_to_bf16(NAN)) != drift_bf16_to_f32(drift_f32_to_bf16(NAN)),
          "named special values");
    golden_free(&g);
}

/* ---- a file written by hand to the spec -------------------------------- */

static void test_reference_file(void)
{
    golden_file g;
    if (!golden_load(&g, test_path("fixtures/safetensors/reference.bin")))
        return;
    drift_safetensors *h;
    drift_status s = drift_safetensors_open(test_path("fixtures/safetensors/reference.safetensors"), &h);
    CHECK(s == DRIFT_OK, "open reference: %s", drift_last_error());
    if (s != DRIFT_OK) {
        golden_free(&g);
        return;
    }
    CHECK(drift_safetensors_count(h) == 5, "five tensors");
    const char *order[] = {"bias", "emb", "conv.weight", "empty", "scale"};
    for (size_t i = 0; i < 5; i++) {
        const drift_st_info *e = drift_safetensors_entry(h, i);
        CHECK(e && strcmp(e->name, order[i]) == 0, "entry %zu in data order: %s", i, e ? e->name : "-");
    }
    const drift_st_info *emb = drift_safetensors_find(h, "emb"), *sc = drift_safetensors_find(h, "scale");
    CHECK(emb && emb->dtype == DRIFT_ST_BF16 && emb->ndim == 2 && emb->shape[1] == 6 && emb->numel == 30,
          "emb info");
    CHECK(sc && sc->ndim == 0 && sc->numel == 1, "scalar info");
    CHECK(drift_safetensors_meta(h, "format") && strcmp(drift_safetensors_meta(h, "format"), "pt") == 0,
          "metadata value");
    CHECK(drift_safetensors_meta_count(h) == 2 && drift_safetensors_meta(h, "nope") == NULL, "metadata");
    for (size_t i = 0; i < 5; i++) {
        const golden_tensor *want = golden_get(&g, order[i]);
        const float *got = NULL;
        CHECK(want && drift_safetensors_get(h, order[i], &got) == DRIFT_OK, "get %s: %s", order[i],
              drift_last_error());
        if (want && got)
            CHECK(memcmp(got, want->data, want->n * sizeof(float)) == 0, "%s values exact", order[i]);
    }
    float buf[108];
    CHECK(drift_safetensors_read(h, "conv.weight", buf, 108) == DRIFT_OK &&
              memcmp(buf, golden_get(&g, "conv.weight")->data, sizeof buf) == 0, "read into caller memory");
    CHECK(drift_safetensors_read(h, "conv.weight", buf, 100) == DRIFT_ERR_SHAPE, "wrong count refused");
    CHECK(drift_safetensors_read(h, "nope", buf, 1) == DRIFT_ERR_ARG && strstr(drift_last_error(), "'nope'"),
          "missing name: %s", drift_last_error());
    drift_safetensors_close(h);
    golden_free(&g);
}

/* ---- drift's own file, parsed here by the spec's rules ------------------ */

static uint64_t le64(const unsigned char *p)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | p[i];
    return n;
}

/* Checks header framing and the entries' dtype/shape/offsets; returns the
 * parsed header (caller deletes) and the data section. */
static cJSON *parse_by_spec(const char *data, size_t size, const char **section)
{
    CHECK(size >= 8, "file has a length");
    uint64_t n = le64((const unsigned char *)data);
    CHECK(n % 8 == 0 && 8 + n <= size, "header length %llu padded to 8 and inside", (unsigned long long)n);
    const char *end;
    cJSON *root = cJSON_ParseWithLengthOpts(data + 8, n, &end, 0);
    CHECK(root && cJSON_IsObject(root) && data[8] == '{', "header is a JSON object");
    for (const char *p = end; root && p < data + 8 + n; p++)
        CHECK(*p == ' ', "padding is spaces");
    *section = data + 8 + n;
    uint64_t expect = 0;
    for (cJSON *e = root ? root->child : NULL; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0)
            continue;
        cJSON *off = cJSON_GetObjectItem(e, "data_offsets");
        CHECK(cJSON_GetArraySize(off) == 2 && off->child->valuedouble == (double)expect,
              "'%s' starts where the previous ended", e->string);
        expect = (uint64_t)off->child->next->valuedouble;
    }
    CHECK(8 + n + expect == size, "tensors fill the data section");
    return root;
}

static void test_written_file_by_spec(void)
{
    golden_file g;
    if (!golden_load(&g, test_path("fixtures/safetensors/halves.bin")))
        return;
    const golden_tensor *x = golden_get(&g, "probe"), *f16 = golden_get(&g, "probe_f16"),
                        *bf = golden_get(&g, "probe_bf16");
    int n = (int)x->n, wshape[2] = {3, 5};
    float w[15];
    for (int i = 0; i < 15; i++)
        w[i] = (float)i * 0.37f - 2.0f;
    drift_st_entry entries[] = {
        {"w", 2, wshape, w, DRIFT_ST_F32},
        {"probe.f16", 1, &n, x->data, DRIFT_ST_F16},
        {"probe.bf16", 1, &n, x->data, DRIFT_ST_BF16},
    };
    drift_st_meta meta[] = {{"drift.note", "a \"quoted\" value"}, {"steps", "12"}};
    const char *path = tmp_file("spec.safetensors");
    CHECK(drift_safetensors_write(path, entries, 3, meta, 2) == DRIFT_OK, "write: %s", drift_last_error());
    char *data;
    size_t size;
    if (drift_read_file(path, 1 << 26, &data, &size) != DRIFT_OK) {
        CHECK(0, "read back %s", path);
        golden_free(&g);
        return;
    }
    const char *sec;
    cJSON *root = parse_by_spec(data, size, &sec);
    cJSON *m = cJSON_GetObjectItem(root, "__metadata__"), *e = cJSON_GetObjectItem(root, "probe.f16");
    CHECK(cJSON_IsString(cJSON_GetObjectItem(m, "drift.note")) &&
              strcmp(cJSON_GetObjectItem(m, "drift.note")->valuestring, "a \"quoted\" value") == 0,
          "metadata string");
    CHECK(strcmp(cJSON_GetObjectItem(e, "dtype")->valuestring, "F16") == 0 &&
              cJSON_GetArrayItem(cJSON_GetObjectItem(e, "shape"), 0)->valuedouble == n, "f16 entry");
    CHECK(memcmp(sec, w, sizeof w) == 0, "F32 bytes are the floats, little endian");
    int bad16 = 0, badbf = 0;
    const unsigned char *h16 = (const unsigned char *)sec + sizeof w, *hbf = h16 + 2 * (size_t)n;
    for (int i = 0; i < n; i++) {
        uint16_t a = (uint16_t)(h16[2 * i] | h16[2 * i + 1] << 8);
        uint16_t b = (uint16_t)(hbf[2 * i] | hbf[2 * i + 1] << 8);
        bad16 += !same_half(a, f16->data[i], 0x7c00, x->data[i]);
        badbf += !same_half(b, bf->data[i], 0x7f80, x->data[i]);
    }
    CHECK(bad16 == 0 && badbf == 0, "stored halves match numpy/torch: %d %d wrong", bad16, badbf);
    cJSON_Delete(root);
    free(data);
    golden_free(&g);
}

/* ---- round trips ------------------------------------------------------ */

static void test_roundtrip(void)
{
    enum { N = 4000 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    drift_rng r;
    drift_rng_init(&r, 3, 0);
    drift_rng_normal(&r, x, N);
    for (int i = 0; i < N; i++)
        x[i] *= powf(2.0f, (float)(i % 40) - 20.0f);
    int shape[3] = {10, 20, 20}, zero[2] = {0, 4}, one = 1;
    float s = 7.25f;
    const char *path = tmp_file("trip.safetensors");
    for (int d = 0; d < 3; d++) {
        drift_st_dtype dt = (drift_st_dtype)d;
        drift_st_entry e[] = {{"x", 3, shape, x, dt}, {"none", 2, zero, NULL, dt}, {"s", 0, &one, &s, dt}};
        CHECK(drift_safetensors_write(path, e, 3, NULL, 0) == DRIFT_OK, "write %s: %s",
              drift_st_dtype_name(dt), drift_last_error());
        drift_safetensors *h;
        if (drift_safetensors_open(path, &h) != DRIFT_OK) {
            CHECK(0, "open %s: %s", path, drift_last_error());
            continue;
        }
        const drift_st_info *info = drift_safetensors_find(h, "none");
        float sv = 0;
        CHECK(info && info->numel == 0 && info->ndim == 2 && drift_safetensors_meta_count(h) == 0,
              "empty tensor and no metadata");
        CHECK(drift_safetensors_read(h, "s", &sv, 1) == DRIFT_OK && sv == 7.25f, "scalar");
        CHECK(drift_safetensors_read(h, "x", y, N) == DRIFT_OK, "read x");
        int bad = 0;
        for (int i = 0; i < N; i++) {
            float want = dt == DRIFT_ST_F32   ? x[i]
                         : dt == DRIFT_ST_F16 ? drift_f16_to_f32(drift_f32_to_f16(x[i]))
                                              : drift_bf16_to_f32(drift_f32_to_bf16(x[i]));
            double tol = dt == DRIFT_ST_F32 ? 0 : dt == DRIFT_ST_BF16 ? 0x1p-8 : 0x1p-11;
            bool normal_half = fabsf(x[i]) >= 0x1p-14f && fabsf(x[i]) <= 65504.0f;
            bad += y[i] != want;
            if (dt != DRIFT_ST_F16 || normal_half)
                bad += fabs(y[i] - x[i]) > tol * fabs(x[i]);
        }
        CHECK(bad == 0, "%s round trip: %d values off", drift_st_dtype_name(dt), bad);
        drift_safetensors_close(h);
    }
    free(x);
    free(y);
}

/* ---- broken files ------------------------------------------------------- */

static void test_broken_files(void)
{
    static const struct {
        const char *file;
        drift_status status;
        const char *says;
    } cases[] = {
        {"bad_truncated", DRIFT_ERR_FORMAT, "too short"},
        {"bad_header_past_end", DRIFT_ERR_FORMAT, "longer than the file"},
        {"bad_huge_header", DRIFT_ERR_FORMAT, "header of 2.1 GB is larger than the 100 MB limit"},
        {"bad_invalid_json", DRIFT_ERR_FORMAT, "not valid JSON"},
        {"bad_not_object", DRIFT_ERR_FORMAT, "not a JSON object"},
        {"bad_trailing", DRIFT_ERR_FORMAT, "stray bytes"},
        {"bad_unknown_dtype", DRIFT_ERR_FORMAT, "unknown dtype 'F17'"},
        {"bad_shape_mismatch", DRIFT_ERR_FORMAT, "needs 24 bytes"},
        {"bad_negative_dim", DRIFT_ERR_FORMAT, "shape entry 0 is not an integer >= 0"},
        {"bad_fraction_dim", DRIFT_ERR_FORMAT, "shape entry 0 is not an integer >= 0"},
        {"bad_overflow_shape", DRIFT_ERR_FORMAT, "too large"},
        {"bad_overlap", DRIFT_ERR_FORMAT, "overlap"},
        {"bad_gap", DRIFT_ERR_FORMAT, "belong to no tensor"},
        {"bad_past_end", DRIFT_ERR_FORMAT, "past the end"},
        {"bad_offsets_arity", DRIFT_ERR_FORMAT, "data_offsets"},
        {"bad_reversed_offsets", DRIFT_ERR_FORMAT, "before it begins"},
        {"bad_duplicate_name", DRIFT_ERR_FORMAT, "'a' appears twice"},
        {"bad_metadata_value", DRIFT_ERR_FORMAT, "'steps' is not a string"},
        {"no_such_file", DRIFT_ERR_IO, "cannot open"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "fixtures/safetensors/%s.safetensors", cases[i].file);
        drift_safetensors *h = (drift_safetensors *)&h;
        drift_status s = drift_safetensors_open(test_path(rel), &h);
        CHECK(s == cases[i].status && h == NULL, "%s: status %s", cases[i].file, drift_status_name(s));
        CHECK(strstr(drift_last_error(), cases[i].says) && strstr(drift_last_error(), cases[i].file),
              "%s: message '%s'", cases[i].file, drift_last_error());
        drift_safetensors_close(s == DRIFT_OK ? h : NULL);
    }
}

/* ---- parameter sets ------------------------------------------------------ */

static drift_params *model(int in_ch)
{
    drift_params *p = drift_params_create();
    drift_params_add(p, "down.0.conv.weight", 4, (int[]){64, in_ch, 3, 3});
    drift_params_add(p, "down.0.conv.bias", 1, (int[]){64});
    drift_params_add(p, "out.weight", 2, (int[]){10, 64});
    drift_params_finalize(p);
    drift_rng r;
    drift_rng_init(&r, (uint64_t)in_ch, 0);
    drift_rng_normal(&r, drift_params_data(p), drift_params_numel(p));
    return p;
}

static void test_load_params(void)
{
    const char *path = tmp_file("model.safetensors");
    drift_params *a = model(32), *b = model(64), *c = model(32);
    drift_st_writer *w = drift_st_writer_create();
    drift_st_writer_add_params(w, a, NULL, "model.", DRIFT_ST_F32);
    drift_st_writer_add_params(w, a, drift_params_data(c), "ema.", DRIFT_ST_F16);
    drift_st_writer_meta(w, "steps", "3");
    CHECK(drift_st_writer_save(w, path) == DRIFT_OK, "writer save: %s", drift_last_error());
    drift_st_writer_free(w);

    drift_safetensors *h;
    if (drift_safetensors_open(path, &h) != DRIFT_OK) {
        CHECK(0, "open: %s", drift_last_error());
        return;
    }
    CHECK(drift_safetensors_count(h) == 6, "two groups of three");
    float before = drift_params_data(b)[0];
    char want[256];
    snprintf(want, sizeof want, "%s: tensor 'model.down.0.conv.weight' has shape (64,32,3,3) but the "
             "model needs (64,64,3,3)", path);
    CHECK(drift_safetensors_load_params(h, b, "model.") == DRIFT_ERR_SHAPE &&
              strcmp(drift_last_error(), want) == 0, "shape message: %s", drift_last_error());
    CHECK(drift_params_data(b)[0] == before, "nothing loaded on a shape error");

    drift_params *d = model(32);
    {
        drift_params *fresh = model(32);
        CHECK(drift_safetensors_load_params(h, fresh, "model.") == DRIFT_OK, "load: %s", drift_last_error());
        CHECK(memcmp(drift_params_data(fresh), drift_params_data(a), drift_params_numel(a) * 4) == 0,
              "F32 load exact");
        CHECK(drift_safetensors_load_params(h, fresh, "ema.") == DRIFT_OK, "load ema: %s", drift_last_error());
        bool ok = true;
        for (size_t i = 0; i < drift_params_numel(c); i++)
            ok = ok && drift_params_data(fresh)[i] ==
                           drift_f16_to_f32(drift_f32_to_f16(drift_params_data(c)[i]));
        CHECK(ok, "F16 load is the rounded value");
        drift_params_free(fresh);
    }
    /* A model with one tensor fewer and one more than the file. */
    drift_params *e = drift_params_create();
    drift_params_add(e, "down.0.conv.weight", 4, (int[]){64, 32, 3, 3});
    drift_params_add(e, "down.0.norm.weight", 1, (int[]){64});
    drift_params_finalize(e);
    drift_status s = drift_safetensors_load_params(h, e, "model.");
    CHECK(s == DRIFT_ERR_SHAPE && strstr(drift_last_error(), "1 tensor(s) the model needs are missing: "
                                                           "'model.down.0.norm.weight'") &&
              strstr(drift_last_error(), "2 tensor(s) are not part of the model") &&
              strstr(drift_last_error(), "'model.out.weight'"),
          "missing/unexpected: %s", drift_last_error());
    CHECK(drift_safetensors_load_params(h, d, "opt.") == DRIFT_ERR_SHAPE, "absent prefix: all missing");
    drift_params_free(e);
    drift_params_free(d);
    drift_safetensors_close(h);
    drift_params_free(a);
    drift_params_free(b);
    drift_params_free(c);
}

static void test_model_file(void)
{
    const char *path = tmp_file("preset.safetensors");
    drift_params *p = model(8);
    const char *cfg = "{\"kind\":\"unet2d\",\"channels\":[32,64]}";
    CHECK(drift_safetensors_save_model(path, p, "[1,2]", DRIFT_ST_F32) == DRIFT_ERR_ARG,
          "config must be an object");
    CHECK(drift_safetensors_save_model(path, p, cfg, DRIFT_ST_BF16) == DRIFT_OK, "save: %s",
          drift_last_error());
    drift_safetensors *h;
    const char *got = NULL;
    if (drift_safetensors_open(path, &h) == DRIFT_OK) {
        CHECK(drift_safetensors_model_config(h, &got) == DRIFT_OK && strcmp(got, cfg) == 0, "config back");
        CHECK(strcmp(drift_safetensors_meta(h, "drift.format"), "1") == 0, "format 1");
        CHECK(drift_safetensors_find(h, "out.weight")->dtype == DRIFT_ST_BF16, "stored as BF16");
        drift_safetensors_close(h);
    }
    if (drift_safetensors_open(test_path("fixtures/safetensors/reference.safetensors"), &h) == DRIFT_OK) {
        CHECK(drift_safetensors_model_config(h, &got) == DRIFT_ERR_FORMAT &&
                  strstr(drift_last_error(), "not a drift model"), "plain file: %s", drift_last_error());
        drift_safetensors_close(h);
    }
    drift_params_free(p);
}

/* ---- atomic saves -------------------------------------------------------- */

static bool file_is(const char *path, const char *text)
{
    char *data;
    size_t size;
    if (drift_read_file(path, 1 << 20, &data, &size) != DRIFT_OK)
        return false;
    bool same = size == strlen(text) && memcmp(data, text, size) == 0;
    free(data);
    return same;
}

static int leftover_temps(void)
{
    int n = 0;
    DIR *d = opendir(tmpdir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_atomic(void)
{
    char dest[256];
    snprintf(dest, sizeof dest, "%s", tmp_file("keep.safetensors"));
    FILE *f = fopen(dest, "w");
    fputs("old contents", f);
    fclose(f);
    enum { N = 1 << 18 };
    float *big = calloc(N, sizeof *big);
    int n = N;
    drift_st_entry e[] = {{"big", 1, &n, big, DRIFT_ST_F32}, {"big", 1, &n, big, DRIFT_ST_F32}};

    CHECK(drift_safetensors_write(tmp_file("no/such/dir.safetensors"), e, 1, NULL, 0) == DRIFT_ERR_IO &&
              strstr(drift_last_error(), "no/such/dir"), "missing folder: %s", drift_last_error());
    CHECK(drift_safetensors_write(tmp_file("keep.safetensors/x.safetensors"), e, 1, NULL, 0) == DRIFT_ERR_IO,
          "folder that is a file: %s", drift_last_error());
    if (geteuid() != 0) { /* root writes into read-only folders anyway */
        char ro[300];
        snprintf(ro, sizeof ro, "%s/readonly", tmpdir);
        mkdir(ro, 0555);
        snprintf(ro, sizeof ro, "%s/readonly/x.safetensors", tmpdir);
        CHECK(drift_safetensors_write(ro, e, 1, NULL, 0) == DRIFT_ERR_IO, "read-only folder refused");
        snprintf(ro, sizeof ro, "%s/readonly", tmpdir);
        rmdir(ro);
    } else {
        printf("note: running as root, the read-only folder case is not tested\n");
    }
    CHECK(drift_safetensors_write(dest, e, 2, NULL, 0) == DRIFT_ERR_ARG &&
              strstr(drift_last_error(), "'big' is used twice"), "duplicate: %s", drift_last_error());
    CHECK(file_is(dest, "old contents"), "destination untouched after refused entries");

    /* Fail midway: a file-size limit makes the write fail after 64 kB. */
    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small = old;
    small.rlim_cur = 1 << 16;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &small) == 0) {
        drift_status s = drift_safetensors_write(dest, e, 1, NULL, 0);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(s == DRIFT_ERR_IO, "write past the size limit fails: %s", drift_last_error());
    } else {
        CHECK(0, "could not set a file size limit");
    }
    signal(SIGXFSZ, prev);
    CHECK(file_is(dest, "old contents"), "destination untouched after a failed write");
    CHECK(leftover_temps() == 0, "no temporary files left behind");
    CHECK(drift_safetensors_write(dest, e, 1, NULL, 0) == DRIFT_OK && !file_is(dest, "old contents"),
          "then a good write replaces it");

    drift_st_entry bad[] = {{"__metadata__", 1, &n, big, DRIFT_ST_F32}};
    CHECK(drift_safetensors_write(dest, bad, 1, NULL, 0) == DRIFT_ERR_ARG, "reserved name refused");
    drift_st_entry neg[] = {{"x", 1, (int[]){-3}, big, DRIFT_ST_F32}};
    CHECK(drift_safetensors_write(dest, neg, 1, NULL, 0) == DRIFT_ERR_SHAPE, "negative dim refused");
    drift_st_entry f64[] = {{"x", 1, &n, big, DRIFT_ST_F64}};
    CHECK(drift_safetensors_write(dest, f64, 1, NULL, 0) == DRIFT_ERR_UNSUPPORTED, "F64 write refused");
    drift_st_meta dup[] = {{"k", "1"}, {"k", "2"}};
    CHECK(drift_safetensors_write(dest, NULL, 0, dup, 2) == DRIFT_ERR_ARG &&
              strstr(drift_last_error(), "'k'"), "duplicate metadata key: %s", drift_last_error());
    free(big);
}

/* ---- bit-exact resume ------------------------------------------------------ */

typedef struct trainer {
    drift_params *p;
    drift_adamw *opt;
    drift_ema *ema;
} trainer;

static trainer trainer_new(void)
{
    trainer t;
    t.p = model(16);
    drift_adamw_config c = drift_adamw_defaults();
    c.decay_1d = false;
    t.opt = drift_adamw_create(t.p, &c);
    t.ema = drift_ema_create(t.p, 0.99f, true);
    return t;
}

static void trainer_free(trainer *t)
{
    drift_ema_free(t->ema);
    drift_adamw_free(t->opt);
    drift_params_free(t->p);
}

static void train(trainer *t, int steps)
{
    drift_lr_schedule s = {.base_lr = 1e-2, .min_lr = 1e-4, .warmup_steps = 3, .total_steps = 10};
    for (int k = 0; k < steps; k++) {
        float *x = drift_params_data(t->p), *g = drift_params_grad(t->p);
        for (size_t i = 0; i < drift_params_numel(t->p); i++)
            g[i] = x[i] * x[i] * x[i] - 0.5f * x[i] + 0.01f * (float)(i % 7);
        drift_clip_grad_norm(t->p, 5.0f, NULL);
        drift_adamw_step(t->opt, drift_lr_at(&s, drift_adamw_steps(t->opt)));
        drift_ema_update(t->ema, t->p);
    }
}

static void save_checkpoint(trainer *t, const char *path)
{
    char steps[32], updates[32];
    snprintf(steps, sizeof steps, "%lld", (long long)drift_adamw_steps(t->opt));
    snprintf(updates, sizeof updates, "%lld", (long long)drift_ema_updates(t->ema));
    drift_st_writer *w = drift_st_writer_create();
    drift_st_writer_add_params(w, t->p, NULL, "model.", DRIFT_ST_F32);
    drift_st_writer_add_params(w, drift_ema_params(t->ema), NULL, "ema.", DRIFT_ST_F32);
    drift_st_writer_add_params(w, t->p, drift_adamw_m(t->opt), "adam.m.", DRIFT_ST_F32);
    drift_st_writer_add_params(w, t->p, drift_adamw_v(t->opt), "adam.v.", DRIFT_ST_F32);
    drift_st_writer_meta(w, "adam.steps", steps);
    drift_st_writer_meta(w, "ema.updates", updates);
    CHECK(drift_st_writer_save(w, path) == DRIFT_OK, "checkpoint: %s", drift_last_error());
    drift_st_writer_free(w);
}

static void load_checkpoint(trainer *t, const char *path)
{
    drift_safetensors *h;
    if (drift_safetensors_open(path, &h) != DRIFT_OK) {
        CHECK(0, "open checkpoint: %s", drift_last_error());
        return;
    }
    drift_status s = drift_safetensors_load_params(h, t->p, "model.");
    if (s == DRIFT_OK)
        s = drift_safetensors_load_params(h, drift_ema_params(t->ema), "ema.");
    if (s == DRIFT_OK)
        s = drift_safetensors_load_buffer(h, t->p, drift_adamw_m(t->opt), "adam.m.");
    if (s == DRIFT_OK)
        s = drift_safetensors_load_buffer(h, t->p, drift_adamw_v(t->opt), "adam.v.");
    CHECK(s == DRIFT_OK, "restore: %s", drift_last_error());
    drift_adamw_set_steps(t->opt, atoll(drift_safetensors_meta(h, "adam.steps")));
    drift_ema_set_updates(t->ema, atoll(drift_safetensors_meta(h, "ema.updates")));
    drift_safetensors_close(h);
}

static void test_resume_exact(void)
{
    const char *path = tmp_file("resume.safetensors");
    trainer a = trainer_new(), b = trainer_new();
    train(&a, 6);
    save_checkpoint(&a, path);
    train(&a, 6);
    load_checkpoint(&b, path);
    train(&b, 6);
    size_t bytes = drift_params_numel(a.p) * sizeof(float);
    CHECK(memcmp(drift_params_data(a.p), drift_params_data(b.p), bytes) == 0, "params bit-exact");
    CHECK(memcmp(drift_adamw_m(a.opt), drift_adamw_m(b.opt), bytes) == 0 &&
              memcmp(drift_adamw_v(a.opt), drift_adamw_v(b.opt), bytes) == 0, "moments bit-exact");
    CHECK(memcmp(drift_params_data(drift_ema_params(a.ema)), drift_params_data(drift_ema_params(b.ema)),
                 bytes) == 0, "EMA bit-exact");
    CHECK(drift_adamw_steps(b.opt) == 12 && drift_ema_updates(b.ema) == 12, "counters");
    trainer c = trainer_new();
    train(&c, 12);
    CHECK(memcmp(drift_params_data(c.p), drift_params_data(b.p), bytes) == 0, "same as never stopping");
    trainer_free(&a);
    trainer_free(&b);
    trainer_free(&c);
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            unlink(tmp_file(e->d_name));
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/drift-st-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_half_conversions();
    test_reference_file();
    test_written_file_by_spec();
    test_roundtrip();
    test_broken_files();
    test_load_params();
    test_model_file();
    test_atomic();
    test_resume_exact();
    remove_tmpdir();
    return test_finish("test_safetensors");
}
