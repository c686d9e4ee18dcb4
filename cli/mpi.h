/* mpi.h: data-parallel `drift train` across processes started by mpirun.
 *
 * Every rank builds the same model from the same recipe and draws the same
 * global batch; the trainer gives each rank its slice of the batch and
 * calls cli_mpi_reduce after each backward pass, which sums the gradient
 * buffer (one MPI_Allreduce over the contiguous buffer, MPI_SUM, float) and
 * the loss over all ranks. Only rank 0 writes checkpoints and models.
 *
 * Faults never hang a job: the exchange is non-blocking and polled against
 * a deadline (cli_mpi.timeout), errors of the communicator are returned,
 * not fatal, and a failing rank ends the whole job (MPI_Abort) after its
 * message. A stop request (SIGINT/SIGTERM on any rank) travels with the
 * loss, so every rank stops after the same step.
 *
 * Built without MPI (no -DDRIFT_MPI=ON), the same calls work for a single
 * process and refuse to run when mpirun started several. */
#ifndef DRIFT_CLI_MPI_H
#define DRIFT_CLI_MPI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"

typedef struct cli_mpi {
    int rank, size;       /* 0 and 1 for a single process */
    bool active;          /* MPI is initialised (drift runs under mpirun) */
    /* Seconds a gradient exchange may wait for the other ranks (it must
     * cover a step's imbalance and rank 0 writing a checkpoint); checks
     * and summaries outside the training loop wait at least the default.
     * 0: wait forever (plain blocking MPI_Allreduce). */
    double timeout;
    const volatile sig_atomic_t *stop_request; /* this rank was asked to stop (a signal handler's flag) */
    bool stop_agreed;     /* some rank asked to stop at the last exchange */
    double exchange_seconds; /* time spent in gradient exchanges, waiting included */
    long exchanges;
} cli_mpi;

/* Default cli_mpi.timeout, seconds. */
#define CLI_MPI_DEFAULT_TIMEOUT 600.0

/* How many processes mpirun (or another MPI launcher) started, from its
 * environment; 0 when drift was not started by one. */
int cli_mpi_launch_size(void);

/* Starts MPI when drift runs under a launcher; otherwise a single process
 * (m->active false). Fails when drift was built without MPI and the
 * launcher started more than one process. */
drift_status cli_mpi_init(cli_mpi *m);

/* The trainer's reduce hook (user = the cli_mpi): sums grad (n floats) and
 * *loss over all ranks, in place, and agrees on stop requests. */
drift_status cli_mpi_reduce(void *user, float *grad, size_t n, double *loss);

/* Collective: fails on every rank unless all ranks pass the same value
 * (what names it in the message, e.g. "parameter count"). */
drift_status cli_mpi_check_same(cli_mpi *m, const char *what, int64_t value);

/* Collective: gives this rank its share of every batch of o (shard, reduce
 * hook, only rank 0 writing), checks that all ranks train the same model
 * (parameters, batch, steps, seed) from the same checkpoint step, and,
 * unless quiet, reports the effective global batch and learning rate. */
drift_status cli_mpi_split(cli_mpi *m, drift_train_options *o, const drift_model *model, bool quiet);

/* Collective, after training `steps` steps of `batch` samples in `seconds`:
 * unless quiet, prints the speed and the gradient exchange's share. */
drift_status cli_mpi_report(cli_mpi *m, int64_t steps, int batch, double seconds, bool quiet);

/* Collective: the fewest and most seconds any rank spent in exchanges. The
 * fewest is close to the pure communication time (that rank waited least
 * for the others); the most includes waiting for the slowest rank. */
drift_status cli_mpi_exchange_range(cli_mpi *m, double *fewest, double *most);

/* Writes this process's id to path (path.RANK under MPI), atomically. */
drift_status cli_mpi_write_pid(const cli_mpi *m, const char *path);

/* For signal handlers (async-signal-safe): under MPI, tells stderr once
 * which rank was asked to stop, since mpirun may kill it moments later. */
void cli_mpi_note_signal(void);

/* Ends MPI: a failed rank aborts the whole job (so no other rank waits for
 * it), otherwise MPI is finalised. Nothing to do for a single process. */
void cli_mpi_finish(cli_mpi *m, bool failed);

#endif
