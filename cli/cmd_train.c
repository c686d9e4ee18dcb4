/* cmd_train.c: `drift train RECIPE -o MODEL`: trains a model from a recipe
 * file, resumably, with a progress bar and a loss-curve picture; under
 * mpirun, data-parallel across the ranks (cli/mpi.h). */
#include "cli.h"
#include "commands.h"
#include "mpi.h"
#include "recipe.h"
#include "trainsetup.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    cli_mpi_note_signal();
}

static void help(void)
{
    printf("usage: drift train RECIPE -o MODEL [options]\n\n"
           "Trains a model as a recipe file says (data, network, diffusion, optimiser;\n"
           "see presets/*.recipe). Progress is saved in a checkpoint every few steps:\n"
           "run the same command again to resume an interrupted run exactly.\n\n"
           "options:\n"
           "  -o, --output MODEL     the model file to write (.safetensors)\n"
           "  --checkpoint PATH      resumable state (default: MODEL.ckpt)\n"
           "  --steps N              override the recipe's step count\n"
           "  --until N              stop after step N, keeping the recipe's schedule (train in\n"
           "                         chunks: run again with a later N, or without, to go on)\n"
           "  --set KEY=VALUE        override any recipe setting (repeatable)\n"
           "  --init MODEL           start from MODEL's weights (the same network) instead of\n"
           "                         random ones: fine-tuning, e.g. with other data or settings\n"
           "                         (a run that resumes a checkpoint continues from it instead)\n"
           "  --threads N            cores to use (default: all; 1 per rank under mpirun)\n"
           "  --quiet                no progress output\n"
           "  --mpi-timeout SECONDS  under mpirun: how long a rank waits for the others before\n"
           "                         the whole job stops (default 600; 0 = wait forever)\n"
           "  --pid-file PATH        write the process id to PATH (PATH.RANK under mpirun)\n\n"
           "Writes MODEL, its checkpoint, and MODEL's loss curve as a .loss.png picture.\n"
           "Under mpirun the ranks split every batch of the recipe and sum their gradients;\n"
           "rank 0 writes the files (docs/MPI.md).\n\n"
           "examples:\n  drift train presets/fashion.recipe -o fashion.safetensors\n"
           "  mpirun -np 2 --bind-to core drift train presets/fashion.recipe -o fashion.safetensors\n"
           "  drift train my.recipe -o tuned.safetensors --init presets/photo-restore.safetensors\n");
}

typedef struct {
    cli_progress bar;
    double smooth;
    bool started;
    const cli_mpi *mpi;
    int64_t first; /* the first step of this run */
    int64_t until; /* stop after this step (0: run to the end) */
} progress_state;

static int on_progress(void *user, int64_t step, int64_t total, double loss, double lr)
{
    progress_state *p = user;
    if (!p->started) { /* a resumed run starts past step 1 */
        p->started = true;
        p->smooth = loss;
        cli_progress_resume(&p->bar, (long)step - 1);
    }
    p->smooth = 0.98 * p->smooth + 0.02 * loss;
    if (!p->first)
        p->first = step;
    snprintf(p->bar.extra, sizeof p->bar.extra, "loss %.4f lr %.2g", p->smooth, lr);
    p->bar.total = (long)total;
    cli_progress_update(&p->bar, (long)step);
    if (p->until && step >= p->until)
        return 1; /* every rank reaches the same step: no agreement needed */
    /* Under MPI every rank stops after the step at which any rank asked to. */
    return (p->mpi->size > 1 ? p->mpi->stop_agreed : interrupted) ? 1 : 0;
}

/* The step a checkpoint has reached (0 if there is none yet). */
static long already_at(const char *checkpoint)
{
    float *losses = NULL;
    size_t n = 0;
    if (drift_train_loss_log(checkpoint, &losses, &n) != DRIFT_OK)
        n = 0;
    free(losses);
    return (long)n;
}

static int train_command(int argc, char **argv, cli_mpi *mpi)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"checkpoint", required_argument, 0, 'c'},
                                         {"steps", required_argument, 0, 's'},
                                         {"until", required_argument, 0, 'U'},
                                         {"set", required_argument, 0, 'S'},
                                         {"init", required_argument, 0, 'I'},
                                         {"threads", required_argument, 0, 't'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"mpi-timeout", required_argument, 0, 'T'},
                                         {"pid-file", required_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *output = NULL, *checkpoint = NULL, *sets[64], *pid_file = NULL, *init = NULL;
    int n_sets = 0, c;
    long steps = 0, until = 0, threads = 0;
    bool quiet = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'c': checkpoint = optarg; break;
        case 's':
            if (!cli_parse_int("train", "--steps", optarg, 1, 1000000000L, &steps))
                return 1;
            break;
        case 'U':
            if (!cli_parse_int("train", "--until", optarg, 1, 1000000000L, &until))
                return 1;
            break;
        case 'S':
            if (n_sets == 64 || !strchr(optarg, '='))
                return cli_error("train", "--set wants KEY=VALUE (at most 64 of them), not '%s'", optarg);
            sets[n_sets++] = optarg;
            break;
        case 't':
            if (!cli_parse_int("train", "--threads", optarg, 1, 256, &threads))
                return 1;
            break;
        case 'q': quiet = true; break;
        case 'T':
            if (!cli_parse_float("train", "--mpi-timeout", optarg, 0, 1e7, &mpi->timeout))
                return 1;
            break;
        case 'P': pid_file = optarg; break;
        case 'I': init = optarg; break;
        case 'h': help(); return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1)
        return cli_error("train", "wants one recipe file (drift train --help)");
    if (!output)
        return cli_error("train", "-o MODEL is required: where to write the trained model");
    if (pid_file && cli_mpi_write_pid(mpi, pid_file) != DRIFT_OK)
        return cli_fail_status("train", "cannot write the process id");
    quiet = quiet || mpi->rank != 0;
    if (threads || mpi->active)
        drift_set_threads(threads ? (int)threads : 1);
    recipe *r;
    if (recipe_load(argv[optind], &r) != DRIFT_OK)
        return cli_fail_status("train", "cannot read the recipe");
    for (int i = 0; i < n_sets; i++) {
        char key[128];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        recipe_set(r, key, eq + 1);
    }
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", output);
    train_setup ts;
    drift_status s = train_setup_from_recipe(r, &ts);
    recipe_free(r);
    if (s != DRIFT_OK)
        return cli_fail_status("train", argv[optind]);
    if (init && (s = drift_model_load_weights(ts.model, init)) != DRIFT_OK) {
        train_setup_free(&ts);
        return cli_fail_status("train", "cannot start from those weights");
    }
    if (steps)
        ts.opts.steps = steps;
    ts.opts.checkpoint_path = checkpoint ? checkpoint : ckpt;
    ts.opts.model_path = output;
    mpi->stop_request = &interrupted;
    if (mpi->size > 1 && (s = cli_mpi_split(mpi, &ts.opts, ts.model, quiet)) != DRIFT_OK) {
        train_setup_free(&ts);
        return cli_fail_status("train", "cannot train across processes");
    }
    long at = until && until < ts.opts.steps ? already_at(ts.opts.checkpoint_path) : 0;
    if (until && at >= until) {
        if (mpi->rank == 0)
            fprintf(stderr, "drift train: the checkpoint is already at step %ld (--until %ld): nothing to do\n",
                    at, until);
        train_setup_free(&ts);
        return 0;
    }
    progress_state ps = {.mpi = mpi, .until = until < ts.opts.steps ? until : 0};
    cli_progress_start(&ps.bar, "train", (long)ts.opts.steps, quiet);
    ts.opts.progress = on_progress;
    ts.opts.progress_user = &ps;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    double start = cli_now();
    s = drift_train(ts.model, &ts.data, &ts.opts);
    if (s == DRIFT_OK && mpi->active)
        s = cli_mpi_report(mpi, ps.first ? ps.bar.done - ps.first + 1 : 0, ts.opts.batch, cli_now() - start, quiet);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (s != DRIFT_OK) {
        if (!quiet)
            fputc('\n', stderr);
        train_setup_free(&ts);
        return cli_fail_status("train", "training stopped");
    }
    bool stopped = interrupted || mpi->stop_agreed;
    if (!stopped && ps.until && ps.bar.done >= ps.until) {
        if (mpi->rank == 0 && !quiet)
            fprintf(stderr, "\ndrift train: stopped after step %ld of %ld (--until); run again to go on\n",
                    ps.bar.done, (long)ts.opts.steps);
    } else if (stopped && mpi->rank == 0) {
        fprintf(stderr, "\ndrift train: stopped at step %ld; run the same command to resume\n", ps.bar.done);
    } else if (!stopped) {
        cli_progress_finish(&ps.bar);
    }
    if (mpi->rank != 0) {
        train_setup_free(&ts);
        return stopped ? 130 : 0;
    }
    char png[4200];
    if (train_write_loss_curve(ts.opts.checkpoint_path, output, png, sizeof png) == DRIFT_OK)
        printf("%s\n", png);
    else
        fprintf(stderr, "drift train: no loss curve: %s\n", drift_last_error());
    printf("%s\n%s\n", output, ts.opts.checkpoint_path);
    train_setup_free(&ts);
    return stopped ? 130 : 0;
}

int cmd_train(int argc, char **argv)
{
    cli_mpi mpi;
    if (cli_mpi_init(&mpi) != DRIFT_OK)
        return cli_fail_status("train", "cannot train across processes");
    int rc = train_command(argc, argv, &mpi);
    cli_mpi_finish(&mpi, rc != 0 && rc != 130);
    return rc;
}
