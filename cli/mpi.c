/* mpi.c: data-parallel training over MPI for `drift train` (see mpi.h).
 * The MPI half is compiled only with -DDRIFT_MPI=ON (DRIFT_HAVE_MPI);
 * without it, stubs serve a single process. */
#include "mpi.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef DRIFT_HAVE_MPI
#include <mpi.h>
#endif

/* What a signal handler prints under MPI, prepared by cli_mpi_init. */
static char signal_note[192];
static volatile size_t signal_note_len;
static volatile sig_atomic_t signal_noted;

int cli_mpi_launch_size(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long n = v && *v ? strtol(v, &end, 10) : 0;
        if (n > 0 && n < (1L << 24) && *end == '\0')
            return (int)n;
    }
    return 0;
}

drift_status cli_mpi_write_pid(const cli_mpi *m, const char *path)
{
    char name[4096];
    if (m->active)
        snprintf(name, sizeof name, "%s.%d", path, m->rank);
    else
        snprintf(name, sizeof name, "%s", path);
    drift_atomic_file f;
    drift_status s = drift_atomic_open(&f, name);
    if (s != DRIFT_OK)
        return s;
    fprintf(f.fp, "%ld\n", (long)getpid());
    return drift_atomic_commit(&f);
}

void cli_mpi_note_signal(void)
{
    if (signal_note_len > 0 && !signal_noted) {
        signal_noted = 1;
        ssize_t r = write(STDERR_FILENO, signal_note, signal_note_len);
        (void)r;
    }
}

/* The step a checkpoint file is at, or -1 when there is none. */
static int64_t checkpoint_step(const char *path)
{
    drift_safetensors *h;
    if (!path || access(path, F_OK) != 0)
        return -1;
    if (drift_safetensors_open(path, &h) != DRIFT_OK)
        return -2; /* unreadable: the trainer names the problem */
    const char *step = drift_safetensors_meta(h, "train.step");
    int64_t k = step ? strtoll(step, NULL, 10) : -2;
    drift_safetensors_close(h);
    return k;
}

drift_status cli_mpi_split(cli_mpi *m, drift_train_options *o, const drift_model *model, bool quiet)
{
    o->shard_index = m->rank;
    o->shard_count = m->size;
    o->reduce = cli_mpi_reduce;
    o->reduce_user = m;
    o->skip_writes = m->rank != 0;
    struct {
        const char *what;
        int64_t value;
    } same[] = {{"parameter count", (int64_t)drift_params_numel(drift_unet_params(model->net))},
                {"batch", o->batch},
                {"step count", o->steps},
                {"seed", (int64_t)o->seed},
                {"checkpoint step (-1: no checkpoint)", checkpoint_step(o->checkpoint_path)}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        drift_status s = cli_mpi_check_same(m, same[i].what, same[i].value);
        if (s != DRIFT_OK)
            return s;
    }
    int least = o->batch / m->size, most = (o->batch + m->size - 1) / m->size;
    char per_rank[32];
    if (most > least)
        snprintf(per_rank, sizeof per_rank, "%d-%d", least, most);
    else
        snprintf(per_rank, sizeof per_rank, "%d", least);
    if (!quiet)
        fprintf(stderr, "drift train: data-parallel on %d ranks: global batch %d (%s per rank), learning rate %g "
                "as in the recipe (its batch is the global batch)\n", m->size, o->batch, per_rank, o->lr);
    return DRIFT_OK;
}

drift_status cli_mpi_report(cli_mpi *m, int64_t steps, int batch, double seconds, bool quiet)
{
    double fewest, most;
    drift_status s = cli_mpi_exchange_range(m, &fewest, &most);
    if (s != DRIFT_OK || quiet || steps <= 0 || seconds <= 0)
        return s;
    double n = (double)steps;
    fprintf(stderr, "drift train: %d rank%s: %lld steps in %.2f s, %.1f samples/s; gradient exchange %.2f ms per "
            "step (%.1f%% of a step), up to %.2f ms with waiting\n", m->size, m->size > 1 ? "s" : "",
            (long long)steps, seconds, n * batch / seconds, 1e3 * fewest / n, 100.0 * fewest / seconds,
            1e3 * most / n);
    return DRIFT_OK;
}

#ifdef DRIFT_HAVE_MPI

/* After a stop request, how long a rank still waits for the exchange. */
#define STOP_GRACE_SECONDS 5.0
/* Floats per MPI call (MPI counts are ints); buffers above this go in parts. */
#define MAX_PART ((size_t)1 << 30)
#define MAX_REQUESTS 17

static drift_status mpi_failed(const cli_mpi *m, int err, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", err);
    return drift_fail(DRIFT_ERR_IO, "rank %d of %d: %s failed: %s (has another rank failed?)", m->rank, m->size,
                      what, text);
}

static void pause_briefly(void)
{
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
}

/* Polls the requests until all are done, an MPI error, `limit` seconds (0:
 * none), or a stop request the others do not answer within a grace period. */
static drift_status wait_all(cli_mpi *m, MPI_Request *req, int n, double limit, const char *what)
{
    double start = cli_now(), grace_end = 0;
    for (;;) {
        int done = 0, err = MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE);
        if (err != MPI_SUCCESS)
            return mpi_failed(m, err, what);
        if (done)
            return DRIFT_OK;
        double now = cli_now();
        if (limit > 0 && now - start > limit)
            return drift_fail(DRIFT_ERR_IO,
                              "rank %d of %d: no answer from the other ranks for %.0f s during %s: one of them "
                              "has failed or hangs (see --mpi-timeout)", m->rank, m->size, limit, what);
        if (m->stop_request && *m->stop_request && grace_end == 0)
            grace_end = now + STOP_GRACE_SECONDS;
        if (grace_end > 0 && now > grace_end)
            return drift_fail(DRIFT_ERR_IO, "rank %d of %d: asked to stop, and the other ranks did not finish %s "
                              "within %.0f s", m->rank, m->size, what, STOP_GRACE_SECONDS);
        if (now - start > 1e-3)
            pause_briefly();
    }
}

/* Starts an in-place sum/max over all ranks: non-blocking when there is a
 * deadline to watch, a plain blocking MPI_Allreduce otherwise. */
static int start_allreduce(const cli_mpi *m, void *buf, int count, MPI_Datatype type, MPI_Op op, MPI_Request *req)
{
    if (m->timeout > 0)
        return MPI_Iallreduce(MPI_IN_PLACE, buf, count, type, op, MPI_COMM_WORLD, req);
    *req = MPI_REQUEST_NULL;
    return MPI_Allreduce(MPI_IN_PLACE, buf, count, type, op, MPI_COMM_WORLD);
}

/* One in-place reduction of a small buffer. Ranks reach these outside the
 * lockstep of training (setup, loading data, writing files), so they wait
 * at least the default deadline. */
static drift_status allreduce_small(cli_mpi *m, void *buf, int count, MPI_Datatype type, MPI_Op op, const char *what)
{
    MPI_Request req;
    double limit = m->timeout > 0 && m->timeout < CLI_MPI_DEFAULT_TIMEOUT ? CLI_MPI_DEFAULT_TIMEOUT : m->timeout;
    int err = start_allreduce(m, buf, count, type, op, &req);
    return err == MPI_SUCCESS ? wait_all(m, &req, 1, limit, what) : mpi_failed(m, err, what);
}

drift_status cli_mpi_init(cli_mpi *m)
{
    memset(m, 0, sizeof *m);
    m->size = 1;
    m->timeout = CLI_MPI_DEFAULT_TIMEOUT;
    if (cli_mpi_launch_size() == 0)
        return DRIFT_OK;
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return drift_fail(DRIFT_ERR_IO, "cannot start MPI");
    m->active = true;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    int len = snprintf(signal_note, sizeof signal_note,
                       "drift train: rank %d of %d was asked to stop (by mpirun when another rank fails, or by a "
                       "signal); the last checkpoint is kept\n", m->rank, m->size);
    signal_note_len = len > 0 && (size_t)len < sizeof signal_note ? (size_t)len : 0;
    return DRIFT_OK;
}

drift_status cli_mpi_reduce(void *user, float *grad, size_t n, double *loss)
{
    cli_mpi *m = user;
    double t0 = cli_now();
    if (n > MAX_PART * (MAX_REQUESTS - 1))
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "a gradient of %zu floats is too large to exchange", n);
    /* The loss and this rank's stop request travel together, so every rank
     * learns the same loss and stops after the same step. */
    double pair[2] = {*loss, m->stop_request && *m->stop_request ? 1.0 : 0.0};
    MPI_Request req[MAX_REQUESTS];
    int n_req = 0, err = start_allreduce(m, pair, 2, MPI_DOUBLE, MPI_SUM, &req[n_req++]);
    for (size_t off = 0; err == MPI_SUCCESS && off < n; off += MAX_PART) {
        int count = (int)(n - off < MAX_PART ? n - off : MAX_PART);
        err = start_allreduce(m, grad + off, count, MPI_FLOAT, MPI_SUM, &req[n_req++]);
    }
    const char *what = "the gradient exchange";
    drift_status s = err == MPI_SUCCESS ? wait_all(m, req, n_req, m->timeout, what) : mpi_failed(m, err, what);
    if (s == DRIFT_OK) {
        *loss = pair[0];
        m->stop_agreed = pair[1] > 0;
    }
    m->exchange_seconds += cli_now() - t0;
    m->exchanges++;
    return s;
}

drift_status cli_mpi_check_same(cli_mpi *m, const char *what, int64_t value)
{
    if (!m->active)
        return DRIFT_OK;
    int64_t range[2] = {value, -value}; /* the largest and minus the smallest */
    drift_status s = allreduce_small(m, range, 2, MPI_INT64_T, MPI_MAX, "a consistency check");
    if (s == DRIFT_OK && range[0] != -range[1])
        s = drift_fail(DRIFT_ERR_ARG, "the ranks disagree on the %s (%lld to %lld): every rank needs the same "
                       "recipe, data and checkpoint file (a path all machines share)", what,
                       (long long)-range[1], (long long)range[0]);
    return s;
}

drift_status cli_mpi_exchange_range(cli_mpi *m, double *fewest, double *most)
{
    double range[2] = {m->exchange_seconds, -m->exchange_seconds};
    drift_status s = m->active ? allreduce_small(m, range, 2, MPI_DOUBLE, MPI_MAX, "the timing summary") : DRIFT_OK;
    *most = range[0];
    *fewest = -range[1];
    return s;
}

void cli_mpi_finish(cli_mpi *m, bool failed)
{
    if (!m->active)
        return;
    m->active = false;
    signal_note_len = 0;
    if (failed) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Finalize();
}

#else /* built without MPI: one process */

drift_status cli_mpi_init(cli_mpi *m)
{
    memset(m, 0, sizeof *m);
    m->size = 1;
    m->timeout = CLI_MPI_DEFAULT_TIMEOUT;
    int launched = cli_mpi_launch_size();
    if (launched > 1)
        return drift_fail(DRIFT_ERR_UNSUPPORTED, "drift was built without MPI, but mpirun started %d copies of "
                          "it: rebuild with -DDRIFT_MPI=ON (docs/MPI.md), or run a single process", launched);
    return DRIFT_OK;
}

drift_status cli_mpi_reduce(void *user, float *grad, size_t n, double *loss)
{
    return drift_fail(DRIFT_ERR_UNSUPPORTED, "drift was built without MPI (rebuild with -DDRIFT_MPI=ON)");
}

drift_status cli_mpi_check_same(cli_mpi *m, const char *what, int64_t value)
{
    return DRIFT_OK;
}

drift_status cli_mpi_exchange_range(cli_mpi *m, double *fewest, double *most)
{
    *fewest = *most = m->exchange_seconds;
    return DRIFT_OK;
}

void cli_mpi_finish(cli_mpi *m, bool failed)
{
}

#endif
