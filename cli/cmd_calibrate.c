/* cmd_calibrate.c: `drift calibrate MODEL --mask-gain DB -o OUT`: stores a
 * denoising model's calibration in a copy of the model file. */
#include "cli.h"
#include "commands.h"

#include "audio/denoise_features.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void help(void)
{
    printf("usage: drift calibrate MODEL --mask-gain DB -o OUT\n\n"
           "Stores a calibration in a copy of a denoising model, used by drift denoise\n"
           "from then on: --mask-gain raises every mask the model predicts by DB decibels\n"
           "(before masks are capped at 1). The model predicts each mask's logarithm, so\n"
           "where it cannot tell a bin's outcome apart it predicts their geometric mean,\n"
           "below the arithmetic mean that keeps the most signal; scripts/calibrate_denoise.sh\n"
           "measures the gain that does best on mixtures of training clips and training noise\n"
           "kinds (docs/DENOISE.md). The weights are copied unchanged, in their precision.\n\n"
           "options:\n"
           "  --mask-gain DB   the calibration, -20..20 dB (0 removes it)\n"
           "  -o, --output P   the calibrated model file (may be MODEL itself)\n\n"
           "example:\n  drift calibrate data/denoise.safetensors --mask-gain 2 -o presets/denoise.safetensors\n");
}

/* The precision of the model file's first tensor. */
static drift_status stored_dtype(const char *path, drift_st_dtype *dtype)
{
    drift_safetensors *h;
    drift_status s = drift_safetensors_open(path, &h);
    if (s != DRIFT_OK)
        return s;
    const drift_st_info *first = drift_safetensors_entry(h, 0);
    *dtype = first ? first->dtype : DRIFT_ST_F32;
    drift_safetensors_close(h);
    return DRIFT_OK;
}

static int calibrate(const char *in, double gain_db, const char *out)
{
    drift_model *m = NULL;
    drift_denoise_params p;
    drift_st_dtype dtype;
    drift_status s = stored_dtype(in, &dtype);
    if (s == DRIFT_OK)
        s = drift_model_load(in, &m);
    if (s == DRIFT_OK)
        s = drift_denoise_params_from_model(m, &p);
    char *json = NULL;
    if (s == DRIFT_OK) {
        p.mask_gain_db = (float)gain_db;
        json = drift_denoise_params_to_json(&p);
        s = json ? DRIFT_OK : drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    }
    if (s == DRIFT_OK) {
        free(m->cfg.task_json);
        m->cfg.task_json = json;
        s = drift_model_save(m, out, dtype);
    } else {
        free(json);
    }
    drift_model_free(m);
    if (s != DRIFT_OK)
        return cli_fail_status("calibrate", in);
    printf("%s\n", out);
    return 0;
}

int cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {{"mask-gain", required_argument, 0, 'g'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    double gain = NAN;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return 0;
        case 'o': out = optarg; break;
        case 'g':
            if (!cli_parse_float("calibrate", "--mask-gain", optarg, -20, 20, &gain))
                return 2;
            break;
        default: return 2;
        }
    }
    if (optind != argc - 1 || !out || isnan(gain))
        return cli_error("calibrate", "wants MODEL --mask-gain DB -o OUT (drift calibrate --help)");
    return calibrate(argv[optind], gain, out);
}
