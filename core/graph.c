/* graph.c: recording, backward and memory of a computation (see graph.h). */
#include "graph.h"
#include "threads.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAD_SPARES 64

struct drift_graph {
    drift_arena arena;
    drift_node *nodes;
    size_t n_nodes, cap_nodes;
    float *scratch[2];
    size_t scratch_cap[2];
    size_t extra_allocs; /* node table and scratch growth */
    /* Gradient buffers whose tensors backward is done with, for reuse by
     * later gradients (a step's live gradients are a narrow frontier). */
    struct {
        float *data;
        size_t numel;
    } spare[GRAD_SPARES];
    int n_spare;
    /* drift_graph_derived's buffers */
    struct derived {
        const float *src;
        size_t n, floats;
        int tag;
        bool filled;
        float *copy, *out;
    } *derived;
    size_t n_derived, cap_derived;
    bool grad_enabled;
    drift_status status;
    char error[512];
};

drift_graph *drift_graph_create(void)
{
    drift_graph *g = calloc(1, sizeof *g);
    if (!g) {
        drift_fail(DRIFT_ERR_NOMEM, "out of memory creating a graph");
        return NULL;
    }
    drift_arena_init(&g->arena);
    g->grad_enabled = true;
    return g;
}

void drift_graph_free(drift_graph *g)
{
    if (!g)
        return;
    drift_arena_free(&g->arena);
    free(g->nodes);
    free(g->scratch[0]);
    free(g->scratch[1]);
    for (size_t i = 0; i < g->n_derived; i++)
        free(g->derived[i].copy), free(g->derived[i].out);
    free(g->derived);
    free(g);
}

void drift_graph_reset(drift_graph *g)
{
    drift_arena_reset(&g->arena);
    g->n_nodes = 0;
    g->n_spare = 0;
    g->status = DRIFT_OK;
    g->error[0] = '\0';
}

void drift_graph_set_grad(drift_graph *g, bool enabled) { g->grad_enabled = enabled; }
bool drift_graph_grad_enabled(const drift_graph *g) { return g->grad_enabled; }
drift_status drift_graph_status(const drift_graph *g) { return g->status; }
const char *drift_graph_error(const drift_graph *g) { return g->error; }

drift_status drift_graph_fail(drift_graph *g, drift_status s, const char *fmt, ...)
{
    if (g->status != DRIFT_OK)
        return g->status; /* keep the first, root-cause error */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->error, sizeof g->error, fmt, ap);
    va_end(ap);
    g->status = s;
    return drift_fail(s, "%s", g->error);
}

void *drift_graph_alloc(drift_graph *g, size_t bytes)
{
    void *p = drift_arena_alloc(&g->arena, bytes);
    if (!p)
        drift_graph_fail(g, DRIFT_ERR_NOMEM, "out of memory: %zu bytes for a graph", bytes);
    return p;
}

static drift_tensor *new_tensor(drift_graph *g, int ndim, const int *shape)
{
    if (g->status != DRIFT_OK)
        return NULL;
    drift_tensor *t = drift_graph_alloc(g, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    if (!drift_tensor_set_shape(t, ndim, shape)) {
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "invalid tensor shape (%d dims)", ndim);
        return NULL;
    }
    return t;
}

drift_tensor *drift_graph_tensor(drift_graph *g, int ndim, const int *shape)
{
    drift_tensor *t = new_tensor(g, ndim, shape);
    if (t && !(t->data = drift_graph_alloc(g, t->numel * sizeof(float))))
        return NULL;
    return t;
}

drift_tensor *drift_graph_zeros(drift_graph *g, int ndim, const int *shape)
{
    drift_tensor *t = drift_graph_tensor(g, ndim, shape);
    if (t)
        memset(t->data, 0, t->numel * sizeof(float));
    return t;
}

drift_tensor *drift_graph_wrap(drift_graph *g, float *data, int ndim, const int *shape)
{
    drift_tensor *t = new_tensor(g, ndim, shape);
    if (t)
        t->data = data;
    return t;
}

float *drift_graph_scratch(drift_graph *g, int slot, size_t floats)
{
    if (slot < 0 || slot > 1) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "scratch slot %d does not exist", slot);
        return NULL;
    }
    if (floats > g->scratch_cap[slot]) {
        free(g->scratch[slot]);
        void *p = NULL;
        if (posix_memalign(&p, 64, floats * sizeof(float)) != 0) {
            g->scratch[slot] = NULL;
            g->scratch_cap[slot] = 0;
            drift_graph_fail(g, DRIFT_ERR_NOMEM, "out of memory: %zu floats of scratch", floats);
            return NULL;
        }
        g->scratch[slot] = p;
        g->scratch_cap[slot] = floats;
        g->extra_allocs++;
    }
    return g->scratch[slot];
}

static struct derived *find_derived(drift_graph *g, const float *src, size_t n, int tag, size_t floats)
{
    for (size_t i = 0; i < g->n_derived; i++) {
        struct derived *d = &g->derived[i];
        if (d->src == src && d->tag == tag && d->n == n && d->floats == floats)
            return d;
    }
    if (g->n_derived == g->cap_derived) {
        size_t cap = g->cap_derived ? 2 * g->cap_derived : 16;
        struct derived *p = realloc(g->derived, cap * sizeof *p);
        if (!p)
            return NULL;
        g->derived = p;
        g->cap_derived = cap;
    }
    struct derived *d = &g->derived[g->n_derived];
    *d = (struct derived){src, n, floats, tag, false, malloc((n ? n : 1) * sizeof(float)), NULL};
    void *out = NULL;
    if (!d->copy || posix_memalign(&out, 64, floats * sizeof(float)) != 0) {
        free(d->copy);
        return NULL;
    }
    d->out = out;
    g->n_derived++;
    g->extra_allocs++;
    return d;
}

const float *drift_graph_derived(drift_graph *g, const float *src, size_t n, int tag, size_t floats,
                                 drift_derive_fn fill, void *ctx)
{
    struct derived *d = find_derived(g, src, n, tag, floats);
    if (!d) {
        drift_graph_fail(g, DRIFT_ERR_NOMEM, "out of memory: %zu floats of derived weights", n + floats);
        return NULL;
    }
    if (!d->filled || memcmp(d->copy, src, n * sizeof(float)) != 0) {
        fill(ctx, d->out);
        memcpy(d->copy, src, n * sizeof(float));
        d->filled = true;
    }
    return d->out;
}

drift_node *drift_graph_record(drift_graph *g, drift_backward_fn backward, drift_tensor *out,
                               int n_in, drift_tensor *const *in)
{
    if (!g->grad_enabled || g->status != DRIFT_OK || n_in > DRIFT_NODE_MAX_IN)
        return NULL;
    bool any = false;
    for (int i = 0; i < n_in; i++)
        any |= drift_tensor_needs_grad(in[i]);
    if (!any)
        return NULL;
    if (g->n_nodes == g->cap_nodes) {
        size_t cap = g->cap_nodes ? 2 * g->cap_nodes : 256;
        drift_node *nodes = realloc(g->nodes, cap * sizeof *nodes);
        if (!nodes) {
            drift_graph_fail(g, DRIFT_ERR_NOMEM, "out of memory recording a graph");
            return NULL;
        }
        g->nodes = nodes;
        g->cap_nodes = cap;
        g->extra_allocs++;
    }
    drift_node *node = &g->nodes[g->n_nodes++];
    memset(node, 0, sizeof *node);
    node->backward = backward;
    node->out = out;
    node->n_in = n_in;
    for (int i = 0; i < n_in; i++)
        node->in[i] = in[i];
    out->flags |= DRIFT_T_NEEDS_GRAD;
    return node;
}

/* The smallest spare buffer that holds numel floats without wasting more
 * than half of it, taken out of the list; NULL if none. */
static float *take_spare(drift_graph *g, size_t numel)
{
    int best = -1;
    for (int i = 0; i < g->n_spare; i++)
        if (g->spare[i].numel >= numel && g->spare[i].numel <= 2 * numel &&
            (best < 0 || g->spare[i].numel < g->spare[best].numel))
            best = i;
    if (best < 0)
        return NULL;
    float *p = g->spare[best].data;
    g->spare[best] = g->spare[--g->n_spare];
    return p;
}

/* Backward has run the node that made t: nothing reads t's gradient any
 * more, so a graph-owned buffer goes to the spares. */
static void retire_grad(drift_graph *g, drift_tensor *t)
{
    if (!(t->flags & DRIFT_T_GRAD_OWNED))
        return;
    if (g->n_spare < GRAD_SPARES) {
        g->spare[g->n_spare].data = t->grad;
        g->spare[g->n_spare].numel = t->numel;
        g->n_spare++;
    }
    t->grad = NULL;
    t->flags &= ~DRIFT_T_GRAD_OWNED;
}

float *drift_grad(drift_graph *g, drift_tensor *t)
{
    if (!drift_tensor_needs_grad(t))
        return NULL;
    if (!t->grad) {
        t->grad = take_spare(g, t->numel);
        if (!t->grad)
            t->grad = drift_arena_alloc(&g->arena, t->numel * sizeof(float));
        if (t->grad) {
            drift_parallel_zero(t->grad, t->numel * sizeof(float));
            t->flags |= DRIFT_T_GRAD_OWNED;
        }
    }
    if (!t->grad)
        drift_graph_fail(g, DRIFT_ERR_NOMEM, "out of memory for a gradient");
    return t->grad;
}

drift_status drift_graph_backward(drift_graph *g, drift_tensor *loss)
{
    if (g->status != DRIFT_OK)
        return g->status;
    if (!loss || loss->numel != 1)
        return drift_graph_fail(g, DRIFT_ERR_SHAPE, "backward needs a scalar loss");
    float *seed = drift_grad(g, loss);
    if (!seed)
        return drift_graph_fail(g, DRIFT_ERR_ARG, "the loss does not depend on anything trainable");
    seed[0] += 1.0f;
    return drift_graph_backward_from(g, loss);
}

drift_status drift_graph_backward_from(drift_graph *g, drift_tensor *out)
{
    if (g->status != DRIFT_OK)
        return g->status;
    if (!out || !out->grad)
        return drift_graph_fail(g, DRIFT_ERR_ARG, "backward needs an output with a gradient");
    for (size_t i = g->n_nodes; i-- > 0;) {
        drift_node *node = &g->nodes[i];
        if (!node->out->grad)
            continue; /* nothing downstream used this output */
        node->backward(g, node);
        if (g->status != DRIFT_OK)
            return g->status;
        if (node->out != out)
            retire_grad(g, node->out);
    }
    return DRIFT_OK;
}

size_t drift_graph_peak_bytes(const drift_graph *g)
{
    return g->arena.high_water + (g->scratch_cap[0] + g->scratch_cap[1]) * sizeof(float);
}

size_t drift_graph_system_allocs(const drift_graph *g)
{
    return g->arena.system_allocs + g->extra_allocs;
}
