/* cmd_elbo.c: `drift elbo MODEL`: the variational bound of an image model
 * on held-out data, in bits per dimension, as the DDPM paper reports it. */
#include "cli.h"
#include "commands.h"
#include "vision/imgdata.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void help(void)
{
    printf("usage: drift elbo MODEL [--limit N] [--t-samples K] [--seed S] [--threads N]\n\n"
           "The model's variational bound (negative ELBO) on the Fashion-MNIST test set,\n"
           "in bits per dimension (lower is better): prior, diffusion and decoder terms.\n"
           "The diffusion sum is estimated with K stratified timesteps per image.\n\n"
           "options:\n"
           "  --limit N       test images to use (default 1000)\n"
           "  --t-samples K   timesteps per image (default 100; 999 is exact)\n\n"
           "example:\n  drift elbo presets/fashion.safetensors --limit 500\n");
}

int cmd_elbo(int argc, char **argv)
{
    static const struct option opts[] = {{"limit", required_argument, 0, 'l'}, {"t-samples", required_argument, 0, 'k'},
                                         {"seed", required_argument, 0, 's'}, {"threads", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    long limit = 1000, tsamples = 100, threads = 0;
    uint64_t seed = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return 0;
        }
        if ((c == 'l' && !cli_parse_int("elbo", "--limit", optarg, 1, 10000, &limit)) ||
            (c == 'k' && !cli_parse_int("elbo", "--t-samples", optarg, 1, 100000, &tsamples)) ||
            (c == 's' && !cli_parse_u64("elbo", "--seed", optarg, &seed)) ||
            (c == 't' && !cli_parse_int("elbo", "--threads", optarg, 1, 256, &threads)) || c == '?')
            return c == '?' ? 2 : 1;
    }
    if (optind != argc - 1)
        return cli_error("elbo", "wants one model file (drift elbo --help)");
    if (threads)
        drift_set_threads((int)threads);
    drift_model *m;
    if (drift_model_load(argv[optind], &m) != DRIFT_OK)
        return cli_fail_status("elbo", "cannot load the model");
    const drift_unet_config *u = &m->cfg.unet;
    if (u->dims != 2 || u->in_channels != 1)
        return drift_model_free(m), cli_error("elbo", "%s is not a gray image model", argv[optind]);
    drift_image_set set;
    int size = 32;
    if (drift_image_set_fashion_mnist(NULL, false, size, (int)limit, &set) != DRIFT_OK) {
        drift_model_free(m);
        return cli_fail_status("elbo", "cannot read the test images");
    }
    size_t dim = (size_t)size * size;
    for (size_t i = 0; i < (size_t)set.count * dim; i++)
        set.data[i] = (set.data[i] - m->cfg.data_mean) / m->cfg.data_std;
    int spatial[2] = {size, size};
    drift_elbo_result r;
    drift_status s = drift_elbo(m, set.data, set.count, spatial, u->n_classes ? set.labels : NULL, (int)tsamples, seed,
                                64, &r);
    drift_image_set_free(&set);
    drift_model_free(m);
    if (s != DRIFT_OK)
        return cli_fail_status("elbo", "cannot compute the bound");
    printf("bits/dim %.4f (prior %.4f, diffusion %.4f, decoder %.4f) on %ld test images, %ld timesteps each\n", r.bpd,
           r.prior_bpd, r.diffusion_bpd, r.decoder_bpd, limit, tsamples);
    return 0;
}
