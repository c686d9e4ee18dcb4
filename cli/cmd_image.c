/* cmd_image.c: `drift image generate|denoise|inpaint|upscale`: pictures
 * from one model (vision/imgtask.h), single files or whole folders. */
#include "cli.h"
#include "commands.h"

#include "vision/imagedir.h"
#include "vision/imgtask.h"
#include "vision/plot.h"
#include "vision/pngio.h"
#include "vision/restore.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FASHION_MODEL "fashion.safetensors" /* shipped models (cli_preset_path) */
#define PHOTO_MODEL "photo.safetensors"
#define RESTORE_MODEL "photo-restore.safetensors"

typedef struct image_args {
    const char *task, *in, *out, *model, *mask, *class_name, *method, *sampler;
    long steps, draws, count, scale, tile, threads, batch;
    double guidance, sigma, eta;
    uint64_t seed;
    bool quiet;
} image_args;

static void help(const char *task)
{
    printf("usage: drift image generate -o GRID.png [--class NAME|ID|none] [--count N] [--guidance G]\n"
           "       drift image denoise IN OUT [--sigma S]\n"
           "       drift image inpaint IN --mask HOLE.png -o OUT [--method ddrm|repaint]\n"
           "       drift image upscale IN --scale 2|4 -o OUT [--method ddrm|ilvr]\n\n"
           "Makes or restores pictures with one diffusion model. IN may be a PNG or JPEG file,\n"
           "or a folder: then every picture under it is processed into the folder -o names,\n"
           "keeping the sub-folders (outputs are PNG). Pictures of any size are processed\n"
           "in overlapping, feathered tiles at the model's size; gray and RGB work with any\n"
           "model (a gray model restores each colour channel). An unconditional model serves\n"
           "every task through DDRM, RePaint or ILVR; a restoration model (trained with\n"
           "data = restore:FOLDER, e.g. presets/photo-restore.safetensors) upscales and\n"
           "inpaints in one step, from the degraded picture it is shown.\n\n"
           "options:\n"
           "  -o, --output PATH   output PNG (or folder)\n"
           "  --model PATH        model file (default presets/%s for generate,\n"
           "                      presets/%s for denoise,\n"
           "                      presets/%s for inpaint and upscale;\n"
           "                      presets/ beside the drift binary, or $DRIFT_PRESETS)\n"
           "  --steps N           denoiser levels (default: denoise 1, upscale and inpaint DDRM 20,\n"
           "                      RePaint 50, a restoration model 1; for denoising, fewer levels\n"
           "                      give a higher PSNR)\n"
           "  --draws N           a restoration model: average N samples per tile, their posterior\n"
           "                      mean (smoother, higher PSNR; N times the time; default %d)\n"
           "  --seed N            random seed (default 0)\n"
           "  --sigma S           denoise: noise std in [0, 1] units (default: estimated)\n"
           "  --eta E             DDRM: how much fresh noise each level adds, 0 (deterministic)\n"
           "                      to 1 (default 0.85)\n"
           "  --mask PATH         inpaint: WHITE = hole to fill, black = keep; the picture's size\n"
           "  --method NAME       inpaint: ddrm (default) or repaint; upscale: ddrm (default) or ilvr\n"
           "  --scale N           upscale: 2 or 4\n"
           "  --class NAME|ID     generate: a class name or number, or 'none' (default: every class in turn)\n"
           "  --count N           generate: pictures in the grid (default 16)\n"
           "  --guidance G        generate: classifier-free guidance (default 2)\n"
           "  --sampler NAME      generate: sampler (default dpm++2m)\n"
           "  --tile N            tile side in pixels (default: the model's training size)\n"
           "  --batch N           tiles per network call (default 8)\n"
           "  --threads N         cores to use (default: all)\n"
           "  --quiet             no progress output\n\n"
           "examples:\n"
           "  drift image generate -o grid.png --class Sneaker --count 16\n"
           "  drift image denoise noisy.png clean.png --sigma 0.1\n"
           "  drift image inpaint photo.png --mask hole.png -o out.png\n"
           "  drift image upscale small.png --scale 2 -o big.png\n",
           FASHION_MODEL, PHOTO_MODEL, RESTORE_MODEL, DRIFT_IMGTASK_RESTORE_DRAWS);
    (void)task;
}

static int parse_option(int c, image_args *a)
{
    const char *t = "image";
    switch (c) {
    case 'o': a->out = optarg; return 0;
    case 'm': a->model = optarg; return 0;
    case 'k': a->mask = optarg; return 0;
    case 'c': a->class_name = optarg; return 0;
    case 'M': a->method = optarg; return 0;
    case 'S': a->sampler = optarg; return 0;
    case 'q': a->quiet = true; return 0;
    case 's': return cli_parse_int(t, "--steps", optarg, 1, 10000, &a->steps) ? 0 : 1;
    case 'd': return cli_parse_int(t, "--draws", optarg, 1, DRIFT_SAMPLER_MAX_DRAWS, &a->draws) ? 0 : 1;
    case 'n': return cli_parse_int(t, "--count", optarg, 1, 4096, &a->count) ? 0 : 1;
    case 'x': return cli_parse_int(t, "--scale", optarg, 2, 4, &a->scale) && a->scale != 3
                         ? 0
                         : cli_error(t, "--scale must be 2 or 4, got '%s'", optarg);
    case 'T': return cli_parse_int(t, "--tile", optarg, 8, 1024, &a->tile) ? 0 : 1;
    case 'B': return cli_parse_int(t, "--batch", optarg, 1, 256, &a->batch) ? 0 : 1;
    case 'j': return cli_parse_int(t, "--threads", optarg, 1, 256, &a->threads) ? 0 : 1;
    case 'g': return cli_parse_float(t, "--guidance", optarg, 0, 100, &a->guidance) ? 0 : 1;
    case 'z': return cli_parse_float(t, "--sigma", optarg, 0, 1, &a->sigma) ? 0 : 1;
    case 'E': return cli_parse_float(t, "--eta", optarg, 0, 1, &a->eta) ? 0 : 1;
    case 'e': return cli_parse_u64(t, "--seed", optarg, &a->seed) ? 0 : 1;
    }
    return 2;
}

/* 0 on success, -1 after --help, an exit code otherwise. */
static int parse_args(int argc, char **argv, image_args *a)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"model", required_argument, 0, 'm'},
        {"mask", required_argument, 0, 'k'},   {"class", required_argument, 0, 'c'},
        {"method", required_argument, 0, 'M'}, {"sampler", required_argument, 0, 'S'},
        {"steps", required_argument, 0, 's'},  {"count", required_argument, 0, 'n'},
        {"scale", required_argument, 0, 'x'},  {"tile", required_argument, 0, 'T'},
        {"batch", required_argument, 0, 'B'},  {"threads", required_argument, 0, 'j'},
        {"guidance", required_argument, 0, 'g'}, {"sigma", required_argument, 0, 'z'},
        {"seed", required_argument, 0, 'e'},   {"eta", required_argument, 0, 'E'},
        {"draws", required_argument, 0, 'd'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->sigma = -1;
    a->eta = -1;
    a->guidance = 2;
    a->count = 16;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            help(a->task);
            return -1;
        }
        int r = parse_option(c, a);
        if (r)
            return r;
    }
    int npos = argc - optind;
    if (npos > 2 || (npos == 2 && a->out))
        return cli_error("image", "too many file names (IN OUT, or IN -o OUT)");
    if (npos >= 1)
        a->in = argv[optind];
    if (npos == 2)
        a->out = argv[optind + 1];
    return 0;
}

/* ---- progress ---------------------------------------------------------- */

static void on_progress(void *user, long done, long total)
{
    cli_progress *p = user;
    p->total = total > 0 ? total : 1;
    cli_progress_update(p, done);
}

/* ---- generate ---------------------------------------------------------- */

static int parse_class(const drift_model *m, const char *name, int *id)
{
    if (!name) {
        *id = -1;
        return 0;
    }
    if (!strcmp(name, "none")) {
        *id = -2;
        return 0;
    }
    *id = drift_model_class_id(m, name);
    char *end;
    long v = strtol(name, &end, 10);
    if (*id < 0 && *end == '\0' && end != name && v >= 0 && v < m->cfg.n_classes)
        *id = (int)v;
    if (*id >= 0)
        return 0;
    fprintf(stderr, "drift image: unknown class '%s'; the model's classes:", name);
    for (int i = 0; i < m->cfg.n_classes; i++)
        fprintf(stderr, " %s%s", m->cfg.class_names[i], i + 1 < m->cfg.n_classes ? "," : "");
    fprintf(stderr, "%s\n", m->cfg.n_classes ? "" : " none");
    return 1;
}

static int run_generate(image_args *a, drift_model *m)
{
    if (!a->out)
        return cli_error("image", "generate needs -o GRID.png");
    const char *restoring = a->eta >= 0 ? "--eta" : a->sigma >= 0 ? "--sigma" : a->mask ? "--mask"
                            : a->scale ? "--scale" : a->method ? "--method" : a->draws ? "--draws" : NULL;
    if (restoring)
        return cli_error("image", "%s is for denoise, inpaint and upscale, not generate", restoring);
    drift_generate_options g;
    drift_generate_defaults(&g);
    g.count = (int)a->count;
    g.guidance = a->guidance;
    g.steps = (int)a->steps;
    g.seed = a->seed;
    if (a->sampler && drift_sampler_parse(a->sampler, &g.sampler) != DRIFT_OK)
        return cli_fail_status("image", "--sampler");
    if (parse_class(m, a->class_name, &g.class_id))
        return 1;
    cli_progress bar;
    cli_progress_start(&bar, "generate", 1, a->quiet);
    g.progress = on_progress;
    g.progress_user = &bar;
    drift_image *imgs = calloc((size_t)g.count, sizeof *imgs);
    if (!imgs)
        return cli_error("image", "out of memory");
    drift_status s = drift_image_generate(m, &g, imgs);
    drift_image grid = {0};
    if (s == DRIFT_OK)
        s = drift_image_grid(imgs, g.count, 0, 2, 1.0f, &grid);
    if (s == DRIFT_OK)
        s = drift_png_write(a->out, &grid, 8);
    for (int i = 0; i < g.count; i++)
        drift_image_free(&imgs[i]);
    free(imgs);
    drift_image_free(&grid);
    if (s != DRIFT_OK)
        return cli_fail_status("image", a->out);
    cli_progress_finish(&bar);
    printf("%s\n", a->out);
    return 0;
}

/* ---- restoration ------------------------------------------------------- */

static int task_options(image_args *a, drift_imgtask_options *o, drift_image *mask)
{
    drift_imgtask_kind kind = !strcmp(a->task, "denoise")   ? DRIFT_IMGTASK_DENOISE
                              : !strcmp(a->task, "inpaint") ? DRIFT_IMGTASK_INPAINT
                                                            : DRIFT_IMGTASK_UPSCALE;
    drift_imgtask_defaults(o, kind);
    if (a->method && drift_inverse_method_parse(a->method, &o->method) != DRIFT_OK)
        return cli_fail_status("image", "--method");
    o->steps = (int)a->steps;
    o->draws = (int)a->draws;
    o->seed = a->seed;
    o->sigma = a->sigma;
    o->eta = a->eta;
    if (a->eta >= 0 && o->method != DRIFT_INVERSE_DDRM)
        return cli_error("image", "--eta is for --method ddrm");
    o->tile = (int)a->tile;
    o->batch = (int)a->batch;
    if (kind == DRIFT_IMGTASK_UPSCALE) {
        if (!a->scale)
            return cli_error("image", "upscale needs --scale 2 or --scale 4");
        o->scale = (int)a->scale;
    }
    if (kind == DRIFT_IMGTASK_INPAINT) {
        if (!a->mask)
            return cli_error("image", "inpaint needs --mask HOLE.png (white = hole to fill)");
        if (drift_image_read(a->mask, mask) != DRIFT_OK)
            return cli_fail_status("image", a->mask);
        o->mask = mask;
    }
    return 0;
}

static int restore_file(drift_model *m, drift_imgtask_options *o, const char *in, const char *out, bool quiet)
{
    drift_image img = {0}, res = {0};
    if (drift_image_read(in, &img) != DRIFT_OK)
        return cli_fail_status("image", in);
    cli_progress bar;
    cli_progress_start(&bar, in, 1, quiet);
    o->progress = on_progress;
    o->progress_user = &bar;
    drift_status s = drift_imgtask_run(m, o, &img, &res);
    if (s == DRIFT_OK)
        s = drift_png_write(out, &res, 8);
    drift_image_free(&img);
    drift_image_free(&res);
    if (s != DRIFT_OK) {
        if (!quiet)
            fputc('\n', stderr);
        return cli_fail_status("image", in);
    }
    cli_progress_finish(&bar);
    printf("%s\n", out);
    return 0;
}

static int restore_folder(drift_model *m, drift_imgtask_options *o, const char *in, const char *out, bool quiet)
{
    drift_path_list list;
    if (drift_image_list(in, &list) != DRIFT_OK)
        return cli_fail_status("image", in);
    if (list.count == 0) {
        drift_path_list_free(&list);
        return cli_error("image", "no PNG or JPEG pictures under %s", in);
    }
    int failed = 0;
    for (size_t i = 0; i < list.count; i++) {
        char src[4096], dst[4096];
        const char *rel = list.paths[i], *dot = strrchr(rel, '.');
        snprintf(src, sizeof src, "%s/%s", in, rel);
        snprintf(dst, sizeof dst, "%s/%.*s.png", out, (int)(dot - rel), rel);
        if ((drift_make_dirs(dst, false) != DRIFT_OK && cli_fail_status("image", "cannot write")) ||
            restore_file(m, o, src, dst, quiet))
            failed++;
    }
    size_t count = list.count;
    drift_path_list_free(&list);
    if (failed)
        return cli_error("image", "%d of %zu pictures failed", failed, count);
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int run_restore(image_args *a, drift_model *m)
{
    if (!a->in)
        return cli_error("image", "%s needs an input picture or folder", a->task);
    if (!a->out)
        return cli_error("image", "%s needs an output: IN OUT or -o OUT", a->task);
    if (drift_restore_model(m) && (a->method || a->eta >= 0))
        return cli_error("image", "%s is for unconditional models; %s is a restoration model, which samples its "
                         "own estimate", a->method ? "--method" : "--eta", a->model);
    drift_imgtask_options o;
    drift_image mask = {0};
    int rc = task_options(a, &o, &mask);
    if (!rc && is_dir(a->in)) {
        if (drift_make_dirs(a->out, true) != DRIFT_OK)
            rc = cli_fail_status("image", "cannot write");
        else
            rc = restore_folder(m, &o, a->in, a->out, a->quiet);
    } else if (!rc) {
        rc = restore_file(m, &o, a->in, a->out, a->quiet);
    }
    drift_image_free(&mask);
    return rc;
}

int cmd_image(int argc, char **argv)
{
    static const char *tasks[] = {"generate", "denoise", "inpaint", "upscale"};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help(NULL);
        return argc < 2 ? 2 : 0;
    }
    image_args a;
    const char *task = NULL;
    for (int i = 0; i < 4; i++)
        if (!strcmp(argv[1], tasks[i]))
            task = tasks[i];
    if (!task)
        return cli_error("image", "unknown task '%s' (generate, denoise, inpaint or upscale)", argv[1]);
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    a.task = task;
    bool gen = !strcmp(task, "generate");
    char path[PATH_MAX + 64];
    if (!a.model) {
        cli_preset_path(gen ? FASHION_MODEL : !strcmp(task, "denoise") ? PHOTO_MODEL : RESTORE_MODEL, path, sizeof path);
        a.model = path;
    }
    if (a.threads)
        drift_set_threads((int)a.threads);
    drift_model *m;
    if (drift_model_load(a.model, &m) != DRIFT_OK)
        return cli_fail_status("image", a.model);
    rc = gen ? run_generate(&a, m) : run_restore(&a, m);
    drift_model_free(m);
    return rc;
}
