/* graph.h: the recorded computation and reverse-mode differentiation.
 *
 * Every operator takes the graph as its first argument, allocates its
 * output from the graph's arena and, when gradients are on and an input
 * needs one, records a node with its backward function. backward() walks
 * the nodes in reverse. reset() forgets tensors and nodes but keeps the
 * memory, so a training or sampling loop that does the same work each step
 * stops allocating after its first step.
 *
 * Errors are sticky, as in cairo: an operator that fails sets the graph's
 * status and returns NULL; operators given a NULL input return NULL at
 * once. Code builds a whole network and checks drift_graph_status() once. */
#ifndef DRIFT_GRAPH_H
#define DRIFT_GRAPH_H

#include "arena.h"
#include "status.h"
#include "tensor.h"

typedef struct drift_graph drift_graph;
typedef struct drift_node drift_node;

/* Adds the gradient of node->out into the gradients of its inputs. */
typedef void (*drift_backward_fn)(drift_graph *g, const drift_node *node);

#define DRIFT_NODE_MAX_IN 6

struct drift_node {
    drift_backward_fn backward;
    drift_tensor *out;
    drift_tensor *in[DRIFT_NODE_MAX_IN];
    int n_in;
    void *ctx;   /* operator's saved values, in the graph's arena */
    int iarg[6]; /* small integer arguments (stride, padding, heads, ...) */
};

drift_graph *drift_graph_create(void);
void drift_graph_free(drift_graph *g);

/* Drop all tensors and nodes, clear the error; memory is kept. */
void drift_graph_reset(drift_graph *g);

/* Whether operators record nodes (training) or not (sampling). Default on. */
void drift_graph_set_grad(drift_graph *g, bool enabled);
bool drift_graph_grad_enabled(const drift_graph *g);

/* Sticky status: the first failure, with its message in drift_last_error()
 * of the failing thread and in drift_graph_error(). */
drift_status drift_graph_status(const drift_graph *g);
const char *drift_graph_error(const drift_graph *g);
drift_status drift_graph_fail(drift_graph *g, drift_status s, const char *fmt, ...) DRIFT_PRINTF(3, 4);

/* A new tensor from the arena (data uninitialised / zeroed); NULL on error. */
drift_tensor *drift_graph_tensor(drift_graph *g, int ndim, const int *shape);
drift_tensor *drift_graph_zeros(drift_graph *g, int ndim, const int *shape);
/* A tensor of the graph wrapping memory owned by the caller (an input). */
drift_tensor *drift_graph_wrap(drift_graph *g, float *data, int ndim, const int *shape);

/* Arena memory valid until reset (saved values for backward). */
void *drift_graph_alloc(drift_graph *g, size_t bytes);

/* One scratch buffer shared by all operators (im2col columns, ...): valid
 * only until the next scratch call. Grows to the largest request and then
 * stays, so steady-state steps do not allocate. slot 0 or 1 gives two
 * independent buffers for operators that need two at once. */
float *drift_graph_scratch(drift_graph *g, int slot, size_t floats);

/* A buffer of `floats` derived from the n floats at src (convolution
 * weights in a kernel's order, say), kept for the graph's life, across
 * resets: fill(ctx, dst) makes it on first use and again whenever src's
 * values have changed since (they are compared with a copy kept for that),
 * so it is never stale. Keyed by (src, tag). NULL, and the graph failed,
 * when out of memory. */
typedef void (*drift_derive_fn)(void *ctx, float *dst);
const float *drift_graph_derived(drift_graph *g, const float *src, size_t n, int tag, size_t floats,
                                 drift_derive_fn fill, void *ctx);

/* Records a node if gradients are on and some input needs a gradient;
 * marks out as needing one in that case. Returns the node (ctx and iarg
 * may be filled in by the caller) or NULL if nothing was recorded. */
drift_node *drift_graph_record(drift_graph *g, drift_backward_fn backward, drift_tensor *out,
                               int n_in, drift_tensor *const *in);

/* The gradient buffer of t, allocated and zeroed on first use (parameters
 * already have theirs). NULL if t does not need a gradient. */
float *drift_grad(drift_graph *g, drift_tensor *t);

/* Seeds d(loss)/d(loss) = 1 (loss must have one element) and runs every
 * recorded node backwards. Parameter gradients accumulate. */
drift_status drift_graph_backward(drift_graph *g, drift_tensor *loss);

/* Runs every recorded node backwards from an output whose gradient the
 * caller has already filled in (drift_grad(g, out) then write into it).
 *
 * Both keep the gradients of inputs (tensors no node made), of parameters
 * and of the output backward started from. The gradient of every other
 * intermediate result is dropped once the node that made it has run
 * backwards (its grad pointer becomes NULL) and its memory serves later
 * gradients, so a step holds only the gradients still being summed. */
drift_status drift_graph_backward_from(drift_graph *g, drift_tensor *out);

/* Bytes the arena handed out at most, and how many system allocations the
 * graph has made in total (arena blocks, node table, scratch). */
size_t drift_graph_peak_bytes(const drift_graph *g);
size_t drift_graph_system_allocs(const drift_graph *g);

/* Shorthand used by operators: fail with a shape message. */
#define DRIFT_CHECK_INPUTS(g, ...)                                                        \
    do {                                                                                  \
        const drift_tensor *in_[] = {__VA_ARGS__};                                        \
        if (drift_graph_status(g) != DRIFT_OK)                                            \
            return NULL;                                                                  \
        for (size_t i_ = 0; i_ < sizeof in_ / sizeof in_[0]; i_++)                        \
            if (!in_[i_]) {                                                               \
                drift_graph_fail(g, DRIFT_ERR_ARG, "%s: missing input %zu", __func__, i_); \
                return NULL;                                                              \
            }                                                                             \
    } while (0)

#endif
