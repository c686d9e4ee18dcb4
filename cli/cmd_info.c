/* cmd_info.c: `drift info [MODEL]`: the engine's setup (kernels, threads),
 * or a model file's configuration and parameter count. */
#include "cli.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(void)
{
    printf("usage: drift info [MODEL] [--threads N]\n\n"
           "Without a model: how drift computes on this machine (matrix kernels, threads).\n"
           "With a model file: its configuration and parameter count.\n\n"
           "examples:\n  drift info\n  drift info presets/drums.safetensors\n");
}

static int show_model(const char *path)
{
    drift_model *m;
    if (drift_model_load(path, &m) != DRIFT_OK)
        return cli_fail_status("info", "cannot load the model");
    const drift_model_config *c = &m->cfg;
    const drift_unet_config *u = &c->unet;
    printf("model: %s\n", path);
    printf("parameters: %zu\n", drift_params_numel(drift_unet_params(m->net)));
    printf("network: %d-D U-Net, %d input channel%s", u->dims, u->in_channels, u->in_channels == 1 ? "" : "s");
    if (u->cond_channels)
        printf(" + %d conditioning channels", u->cond_channels);
    printf(", base %d channels, multipliers", u->base_channels);
    for (int l = 0; l < u->n_levels; l++)
        printf("%s%d", l ? "," : " ", u->mults[l]);
    printf(", %d residual block%s per level, attention at levels", u->res_blocks, u->res_blocks == 1 ? "" : "s");
    int any = 0;
    for (int l = 0; l < u->n_levels; l++)
        if ((u->attn_levels >> l) & 1)
            printf("%s%d", any++ ? "," : " ", l);
    printf("%s%s\n", any ? "" : " none", u->mid_attention ? " and the middle" : "");
    printf("diffusion: %s schedule, %d steps%s, predicts %s\n", drift_beta_schedule_name(c->schedule),
           c->timesteps, c->zero_terminal_snr ? ", zero terminal SNR" : "", drift_prediction_name(c->prediction));
    printf("data: mean %g, std %g\n", c->data_mean, c->data_std);
    if (c->n_classes) {
        printf("classes (%d):", c->n_classes);
        for (int i = 0; i < c->n_classes; i++)
            printf("%s %s", i ? "," : "", c->class_names[i]);
        printf("\n");
    }
    if (c->vocab_size)
        printf("tags: %d (drift tags %s lists them)\n", c->vocab_size, path);
    if (c->task_json)
        printf("task: %s\n", c->task_json);
    drift_model_free(m);
    return 0;
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    long threads = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return 0;
        }
        if (c == 't' && !cli_parse_int("info", "--threads", optarg, 1, 256, &threads))
            return 1;
        if (c == '?')
            return 2;
    }
    if (threads)
        drift_set_threads((int)threads);
    if (optind < argc)
        return show_model(argv[optind]);
    printf("drift %s\n", DRIFT_VERSION);
    printf("matrix kernels: %s\n", drift_blas_describe());
    printf("threads: %d (of %d cores)\n", drift_get_threads(), drift_cpu_count());
    return 0;
}
