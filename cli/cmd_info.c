/* cmd_info.c: `drift info`: the engine's setup (kernels, threads). A model
 * file's configuration is added once checkpoints exist. */
#include "cli.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void help(void)
{
    printf("usage: drift info [--threads N]\n\n"
           "Shows how drift computes on this machine: matrix kernels, threads.\n\n"
           "example:\n  drift info\n");
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
    printf("drift %s\n", DRIFT_VERSION);
    printf("matrix kernels: %s\n", drift_blas_describe());
    printf("threads: %d (of %d cores)\n", drift_get_threads(), drift_cpu_count());
    return 0;
}
