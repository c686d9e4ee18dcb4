/* unet.c: the U-Net's parameters and forward pass (see unet.h). Backward
 * comes from the graph: every step here is a recorded operator. */
#include "unet.h"
#include "op_attn.h"
#include "op_conv.h"
#include "op_elem.h"
#include "op_embed.h"
#include "op_linear.h"
#include "op_norm.h"
#include "op_shape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 64
#define GN_EPS 1e-5f

typedef struct { drift_tensor *w, *b; } layer; /* conv or linear */
typedef struct { drift_tensor *g, *b; } norm;

typedef struct {
    norm n1, n2;
    layer c1, temb, c2, skip; /* skip.w NULL when channels stay */
} resblock;

typedef struct {
    norm n;
    layer qkv, out;
} self_attn;

typedef struct {
    norm n;
    layer q, kv, out;
} cross_attn;

enum { BLOCK_RES, BLOCK_DOWN, BLOCK_UP };

typedef struct {
    int kind;
    resblock res;
    bool has_attn, has_xattn;
    self_attn attn;
    cross_attn xattn;
    layer conv; /* BLOCK_DOWN / BLOCK_UP */
} block;

struct drift_unet {
    drift_unet_config cfg;
    drift_params *params;
    layer t1, t2, conv_in, conv_out, class_emb, tag_emb, tag_temb;
    norm norm_out;
    block down[MAX_BLOCKS], up[MAX_BLOCKS];
    int n_down, n_up;
    resblock mid1, mid2;
    self_attn mid_attn;
    cross_attn mid_xattn;
    bool has_mid_xattn;
};

drift_unet_config drift_unet_ref_config(int dims, int in_channels)
{
    drift_unet_config c = {0};
    c.dims = dims;
    c.in_channels = in_channels;
    c.out_channels = in_channels;
    c.base_channels = 32;
    c.n_levels = 3;
    c.mults[0] = 1;
    c.mults[1] = 2;
    c.mults[2] = 4;
    c.res_blocks = 2;
    c.groups = 8;
    c.mid_attention = 1;
    c.heads = 1;
    c.temb_in = 32;
    c.temb_dim = 128;
    return c;
}

drift_status drift_unet_check_config(const drift_unet_config *c)
{
    if (c->dims != 1 && c->dims != 2)
        return drift_fail(DRIFT_ERR_ARG, "U-Net dims must be 1 or 2, got %d", c->dims);
    if (c->in_channels < 1 || c->out_channels < 1 || c->cond_channels < 0 || c->base_channels < 1)
        return drift_fail(DRIFT_ERR_ARG, "U-Net channel counts must be positive");
    if (c->n_levels < 1 || c->n_levels > DRIFT_UNET_MAX_LEVELS)
        return drift_fail(DRIFT_ERR_ARG, "U-Net levels must be 1..%d, got %d", DRIFT_UNET_MAX_LEVELS,
                          c->n_levels);
    if (c->res_blocks < 1 || c->res_blocks > 8)
        return drift_fail(DRIFT_ERR_ARG, "U-Net residual blocks per level must be 1..8, got %d",
                          c->res_blocks);
    if (c->groups < 1 || c->base_channels % c->groups)
        return drift_fail(DRIFT_ERR_ARG, "group norm groups (%d) must divide the base channels (%d)",
                          c->groups, c->base_channels);
    for (int l = 0; l < c->n_levels; l++)
        if (c->mults[l] < 1)
            return drift_fail(DRIFT_ERR_ARG, "channel multiplier of level %d must be >= 1", l);
    if (c->heads < 1 || c->temb_in < 2 || c->temb_in % 2 || c->temb_dim < 1)
        return drift_fail(DRIFT_ERR_ARG, "bad attention heads or time embedding sizes");
    for (int l = 0; l < c->n_levels; l++)
        if ((c->base_channels * c->mults[l]) % c->heads)
            return drift_fail(DRIFT_ERR_ARG, "attention heads (%d) must divide every level's channels",
                              c->heads);
    if (c->dropout < 0 || c->dropout >= 1)
        return drift_fail(DRIFT_ERR_ARG, "dropout must be in [0, 1), got %g", c->dropout);
    if (c->n_classes < 0 || c->vocab_size < 0 || (c->vocab_size && (c->ctx_dim < 1 || c->max_tags < 1)))
        return drift_fail(DRIFT_ERR_ARG, "tag conditioning needs ctx_dim and max_tags");
    return DRIFT_OK;
}

/* ---- building -------------------------------------------------------- */

typedef struct {
    drift_unet *u;
    drift_status status;
    char name[128];
} builder;

static drift_tensor *add_param(builder *b, const char *prefix, const char *suffix, int ndim,
                               const int *shape)
{
    if (b->status != DRIFT_OK)
        return NULL;
    snprintf(b->name, sizeof b->name, "%s%s", prefix, suffix);
    drift_tensor *t = drift_params_add(b->u->params, b->name, ndim, shape);
    if (!t)
        b->status = DRIFT_ERR_NOMEM;
    return t;
}

static layer add_conv(builder *b, const char *prefix, int cin, int cout, int k)
{
    int dims = b->u->cfg.dims;
    int shape[4] = {cout, cin, k, k}, bias[1] = {cout};
    layer l = {add_param(b, prefix, ".weight", 2 + dims, shape), add_param(b, prefix, ".bias", 1, bias)};
    return l;
}

static layer add_linear(builder *b, const char *prefix, int in, int out, bool bias)
{
    int shape[2] = {out, in}, bshape[1] = {out};
    layer l = {add_param(b, prefix, ".weight", 2, shape), bias ? add_param(b, prefix, ".bias", 1, bshape) : NULL};
    return l;
}

static norm add_norm(builder *b, const char *prefix, int c)
{
    int shape[1] = {c};
    norm n = {add_param(b, prefix, ".weight", 1, shape), add_param(b, prefix, ".bias", 1, shape)};
    return n;
}

static resblock add_res(builder *b, const char *prefix, int cin, int cout)
{
    char p[96];
    resblock r;
    snprintf(p, sizeof p, "%s.norm1", prefix);
    r.n1 = add_norm(b, p, cin);
    snprintf(p, sizeof p, "%s.conv1", prefix);
    r.c1 = add_conv(b, p, cin, cout, 3);
    snprintf(p, sizeof p, "%s.temb", prefix);
    r.temb = add_linear(b, p, b->u->cfg.temb_dim, cout, true);
    snprintf(p, sizeof p, "%s.norm2", prefix);
    r.n2 = add_norm(b, p, cout);
    snprintf(p, sizeof p, "%s.conv2", prefix);
    r.c2 = add_conv(b, p, cout, cout, 3);
    r.skip.w = r.skip.b = NULL;
    if (cin != cout) {
        snprintf(p, sizeof p, "%s.skip", prefix);
        r.skip = add_conv(b, p, cin, cout, 1);
    }
    return r;
}

static self_attn add_attn(builder *b, const char *prefix, int c)
{
    char p[96];
    self_attn a;
    snprintf(p, sizeof p, "%s.norm", prefix);
    a.n = add_norm(b, p, c);
    snprintf(p, sizeof p, "%s.qkv", prefix);
    a.qkv = add_linear(b, p, c, 3 * c, true);
    snprintf(p, sizeof p, "%s.out", prefix);
    a.out = add_linear(b, p, c, c, true);
    return a;
}

static cross_attn add_xattn(builder *b, const char *prefix, int c)
{
    char p[96];
    cross_attn a;
    snprintf(p, sizeof p, "%s.norm", prefix);
    a.n = add_norm(b, p, c);
    snprintf(p, sizeof p, "%s.q", prefix);
    a.q = add_linear(b, p, c, c, true);
    snprintf(p, sizeof p, "%s.kv", prefix);
    a.kv = add_linear(b, p, b->u->cfg.ctx_dim, 2 * c, true);
    snprintf(p, sizeof p, "%s.out", prefix);
    a.out = add_linear(b, p, c, c, true);
    return a;
}

static void add_level_attention(builder *b, block *blk, const char *prefix, int level, int c)
{
    char p[96];
    const drift_unet_config *cfg = &b->u->cfg;
    blk->has_attn = (cfg->attn_levels >> level) & 1;
    blk->has_xattn = blk->has_attn && cfg->vocab_size > 0;
    if (blk->has_attn) {
        snprintf(p, sizeof p, "%s.attn", prefix);
        blk->attn = add_attn(b, p, c);
    }
    if (blk->has_xattn) {
        snprintf(p, sizeof p, "%s.xattn", prefix);
        blk->xattn = add_xattn(b, p, c);
    }
}

static void build_layers(builder *b)
{
    drift_unet *u = b->u;
    const drift_unet_config *c = &u->cfg;
    char p[64];
    int skips[MAX_BLOCKS], n_skips = 0;
    u->t1 = add_linear(b, "t1", c->temb_in, c->temb_dim, true);
    u->t2 = add_linear(b, "t2", c->temb_dim, c->temb_dim, true);
    if (c->n_classes > 0) {
        int shape[2] = {c->n_classes, c->temb_dim};
        u->class_emb.w = add_param(b, "class_emb", ".weight", 2, shape);
    }
    if (c->vocab_size > 0) {
        int shape[2] = {c->vocab_size, c->ctx_dim}, tshape[2] = {c->vocab_size, c->temb_dim};
        u->tag_emb.w = add_param(b, "tag_emb", ".weight", 2, shape);
        u->tag_temb.w = add_param(b, "tag_temb", ".weight", 2, tshape);
    }
    u->conv_in = add_conv(b, "conv_in", c->in_channels + c->cond_channels, c->base_channels, 3);
    int ch = c->base_channels;
    skips[n_skips++] = ch;
    for (int l = 0; l < c->n_levels; l++) {
        int lc = c->base_channels * c->mults[l];
        for (int r = 0; r < c->res_blocks; r++) {
            block *blk = &u->down[u->n_down];
            snprintf(p, sizeof p, "down.%d", u->n_down++);
            blk->kind = BLOCK_RES;
            blk->res = add_res(b, p, ch, lc);
            add_level_attention(b, blk, p, l, lc);
            ch = lc;
            skips[n_skips++] = ch;
        }
        if (l != c->n_levels - 1) {
            block *blk = &u->down[u->n_down];
            snprintf(p, sizeof p, "down.%d", u->n_down++);
            blk->kind = BLOCK_DOWN;
            blk->conv = add_conv(b, p, ch, ch, 3);
            skips[n_skips++] = ch;
        }
    }
    u->mid1 = add_res(b, "mid1", ch, ch);
    if (c->mid_attention)
        u->mid_attn = add_attn(b, "attn", ch);
    u->has_mid_xattn = c->vocab_size > 0;
    if (u->has_mid_xattn)
        u->mid_xattn = add_xattn(b, "xattn", ch);
    u->mid2 = add_res(b, "mid2", ch, ch);
    for (int l = c->n_levels - 1; l >= 0; l--) {
        int lc = c->base_channels * c->mults[l];
        for (int r = 0; r <= c->res_blocks; r++) {
            block *blk = &u->up[u->n_up];
            snprintf(p, sizeof p, "up.%d", u->n_up++);
            blk->kind = BLOCK_RES;
            blk->res = add_res(b, p, ch + skips[--n_skips], lc);
            add_level_attention(b, blk, p, l, lc);
            ch = lc;
        }
        if (l != 0) {
            block *blk = &u->up[u->n_up];
            snprintf(p, sizeof p, "up.%d", u->n_up++);
            blk->kind = BLOCK_UP;
            blk->conv = add_conv(b, p, ch, ch, 3);
        }
    }
    u->norm_out = add_norm(b, "norm_out", ch);
    u->conv_out = add_conv(b, "conv_out", ch, c->out_channels, 3);
}

/* PyTorch's defaults: U(+-1/sqrt(fan_in)) for conv and linear weights and
 * biases, N(0,1) for embeddings, ones and zeros for group norm. */
static void init_params(drift_unet *u, uint64_t seed)
{
    drift_rng rng;
    drift_rng_init(&rng, seed, 0x756e6574 /* "unet" */);
    size_t n = drift_params_count(u->params);
    for (size_t i = 0; i < n; i++) {
        drift_tensor *t = drift_params_get(u->params, i);
        const char *name = t->name;
        size_t len = strlen(name);
        bool is_norm = strstr(name, "norm") != NULL;
        bool is_bias = len > 5 && strcmp(name + len - 5, ".bias") == 0;
        if (is_norm) {
            drift_params_init_constant(t, is_bias ? 0.0f : 1.0f);
        } else if (strstr(name, "_emb.") || strstr(name, "tag_temb.")) {
            drift_params_init_normal(t, 0.0f, 1.0f, &rng);
        } else if (is_bias) {
            /* the weight registered just before this bias gives fan_in */
            drift_tensor *w = drift_params_get(u->params, i - 1);
            drift_params_init_uniform(t, 1.0f / sqrtf((float)drift_tensor_inner(w, 1)), &rng);
        } else {
            drift_params_init_uniform(t, 1.0f / sqrtf((float)drift_tensor_inner(t, 1)), &rng);
        }
    }
}

drift_status drift_unet_create(const drift_unet_config *cfg, uint64_t seed, drift_unet **out)
{
    *out = NULL;
    drift_status s = drift_unet_check_config(cfg);
    if (s != DRIFT_OK)
        return s;
    drift_unet *u = calloc(1, sizeof *u);
    if (!u)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory for a U-Net");
    u->cfg = *cfg;
    u->params = drift_params_create();
    builder b = {u, u->params ? DRIFT_OK : DRIFT_ERR_NOMEM, {0}};
    if (b.status == DRIFT_OK)
        build_layers(&b);
    if (b.status == DRIFT_OK)
        b.status = drift_params_finalize(u->params);
    if (b.status != DRIFT_OK) {
        drift_unet_free(u);
        return b.status;
    }
    init_params(u, seed);
    *out = u;
    return DRIFT_OK;
}

void drift_unet_free(drift_unet *u)
{
    if (!u)
        return;
    drift_params_free(u->params);
    free(u);
}

const drift_unet_config *drift_unet_config_of(const drift_unet *u) { return &u->cfg; }
drift_params *drift_unet_params(drift_unet *u) { return u->params; }

/* ---- forward --------------------------------------------------------- */

typedef struct {
    drift_graph *g;
    drift_unet *u;
    drift_tensor *temb_act; /* SiLU(time embedding), (N, temb_dim) */
    drift_tensor *ctx;      /* tag embeddings (N, T, ctx_dim) or NULL */
    drift_tensor *ctx_mask; /* (N, T) */
    drift_rng *rng;
} fwd;

static drift_tensor *gn(fwd *f, const norm *n, drift_tensor *x)
{
    return drift_group_norm(f->g, x, n->g, n->b, f->u->cfg.groups, GN_EPS);
}

static drift_tensor *gn_silu(fwd *f, const norm *n, drift_tensor *x)
{
    return drift_group_norm_silu(f->g, x, n->g, n->b, f->u->cfg.groups, GN_EPS);
}

static drift_tensor *res_forward(fwd *f, const resblock *r, drift_tensor *x)
{
    drift_graph *g = f->g;
    drift_tensor *h = drift_conv(g, gn_silu(f, &r->n1, x), r->c1.w, r->c1.b, 1, 1);
    h = drift_add_channel(g, h, drift_linear(g, f->temb_act, r->temb.w, r->temb.b));
    h = gn_silu(f, &r->n2, h);
    if (f->u->cfg.dropout > 0 && drift_graph_grad_enabled(g))
        h = drift_dropout(g, h, f->u->cfg.dropout, f->rng);
    h = drift_conv(g, h, r->c2.w, r->c2.b, 1, 1);
    drift_tensor *skip = r->skip.w ? drift_conv(g, x, r->skip.w, r->skip.b, 1, 0) : x;
    return drift_add(g, h, skip);
}

static drift_tensor *attn_forward(fwd *f, const self_attn *a, drift_tensor *x)
{
    drift_graph *g = f->g;
    if (!x)
        return NULL;
    int c = x->shape[1];
    drift_tensor *qkv = drift_linear(g, drift_to_tokens(g, gn(f, &a->n, x)), a->qkv.w, a->qkv.b);
    drift_tensor *o = drift_attention(g, drift_slice_last(g, qkv, 0, c), drift_slice_last(g, qkv, c, c),
                                      drift_slice_last(g, qkv, 2 * c, c), f->u->cfg.heads, NULL);
    o = drift_linear(g, o, a->out.w, a->out.b);
    return drift_add(g, x, drift_from_tokens(g, o, x->ndim, x->shape));
}

static drift_tensor *xattn_forward(fwd *f, const cross_attn *a, drift_tensor *x)
{
    drift_graph *g = f->g;
    if (!x || !f->ctx)
        return x;
    int c = x->shape[1];
    drift_tensor *q = drift_linear(g, drift_to_tokens(g, gn(f, &a->n, x)), a->q.w, a->q.b);
    drift_tensor *kv = drift_linear(g, f->ctx, a->kv.w, a->kv.b);
    drift_tensor *o = drift_attention(g, q, drift_slice_last(g, kv, 0, c), drift_slice_last(g, kv, c, c),
                                      f->u->cfg.heads, f->ctx_mask);
    o = drift_linear(g, o, a->out.w, a->out.b);
    return drift_add(g, x, drift_from_tokens(g, o, x->ndim, x->shape));
}

static drift_tensor *block_forward(fwd *f, const block *blk, drift_tensor *h)
{
    if (blk->kind == BLOCK_DOWN)
        return drift_conv(f->g, h, blk->conv.w, blk->conv.b, 2, 1);
    if (blk->kind == BLOCK_UP)
        return drift_conv(f->g, drift_upsample2x(f->g, h), blk->conv.w, blk->conv.b, 1, 1);
    h = res_forward(f, &blk->res, h);
    if (blk->has_attn)
        h = attn_forward(f, &blk->attn, h);
    if (blk->has_xattn)
        h = xattn_forward(f, &blk->xattn, h);
    return h;
}

/* Time, class and tag embeddings -> SiLU(emb) (N, temb_dim); also sets the
 * cross-attention context. */
static drift_tensor *embed(fwd *f, const float *t, int n, const drift_unet_cond *cond)
{
    drift_graph *g = f->g;
    drift_unet *u = f->u;
    const drift_unet_config *c = &u->cfg;
    drift_tensor *e = drift_timestep_embedding(g, t, n, c->temb_in, 10000.0f);
    e = drift_linear(g, drift_silu(g, drift_linear(g, e, u->t1.w, u->t1.b)), u->t2.w, u->t2.b);
    if (c->n_classes > 0 && cond && cond->class_ids)
        e = drift_add(g, e, drift_embedding(g, u->class_emb.w, cond->class_ids, n));
    if (c->vocab_size > 0 && cond && cond->tag_ids) {
        int T = c->max_tags;
        int *col = drift_graph_alloc(g, sizeof(int) * (size_t)n);
        for (int j = 0; j < T && col; j++) { /* multi-hot: sum of the tags' embeddings */
            for (int i = 0; i < n; i++)
                col[i] = cond->tag_ids[i * T + j];
            e = drift_add(g, e, drift_embedding(g, u->tag_temb.w, col, n));
        }
        int cshape[3] = {n, T, c->ctx_dim}, mshape[2] = {n, T};
        f->ctx = drift_reshape(g, drift_embedding(g, u->tag_emb.w, cond->tag_ids, n * T), 3, cshape);
        f->ctx_mask = drift_graph_tensor(g, 2, mshape);
        if (f->ctx_mask)
            for (int i = 0; i < n * T; i++)
                f->ctx_mask->data[i] = cond->tag_ids[i] >= 0 ? 1.0f : 0.0f;
    }
    return drift_silu(g, e);
}

drift_tensor *drift_unet_forward(drift_graph *g, drift_unet *u, drift_tensor *x, const float *t,
                                 const drift_unet_cond *cond, drift_rng *dropout_rng)
{
    DRIFT_CHECK_INPUTS(g, x);
    const drift_unet_config *c = &u->cfg;
    int n = x->shape[0];
    if (x->ndim != c->dims + 2 || x->shape[1] != c->in_channels) {
        char s[64];
        drift_graph_fail(g, DRIFT_ERR_SHAPE, "U-Net wants (N,%d,%s) input, got %s", c->in_channels,
                         c->dims == 1 ? "L" : "H,W", drift_tensor_shape_str(x, s, sizeof s));
        return NULL;
    }
    int unit = 1 << (c->n_levels - 1);
    for (int d = 2; d < x->ndim; d++)
        if (x->shape[d] % unit) {
            drift_graph_fail(g, DRIFT_ERR_SHAPE, "U-Net with %d levels needs sizes divisible by %d, got %d",
                             c->n_levels, unit, x->shape[d]);
            return NULL;
        }
    if (c->cond_channels > 0 && !(cond && cond->extra)) {
        drift_graph_fail(g, DRIFT_ERR_ARG, "this U-Net needs %d conditioning channels", c->cond_channels);
        return NULL;
    }
    fwd f = {g, u, NULL, NULL, NULL, dropout_rng};
    f.temb_act = embed(&f, t, n, cond);
    drift_tensor *h = x;
    if (c->cond_channels > 0) {
        int shape[4] = {n, c->cond_channels, x->shape[2], x->shape[3]};
        h = drift_concat_channels(g, x, drift_graph_wrap(g, (float *)cond->extra, x->ndim, shape));
    }
    h = drift_conv(g, h, u->conv_in.w, u->conv_in.b, 1, 1);
    drift_tensor *skips[MAX_BLOCKS];
    int n_skips = 0;
    skips[n_skips++] = h;
    for (int i = 0; i < u->n_down; i++)
        skips[n_skips++] = h = block_forward(&f, &u->down[i], h);
    h = res_forward(&f, &u->mid1, h);
    if (c->mid_attention)
        h = attn_forward(&f, &u->mid_attn, h);
    if (u->has_mid_xattn)
        h = xattn_forward(&f, &u->mid_xattn, h);
    h = res_forward(&f, &u->mid2, h);
    for (int i = 0; i < u->n_up; i++) {
        if (u->up[i].kind == BLOCK_RES)
            h = drift_concat_channels(g, h, skips[--n_skips]);
        h = block_forward(&f, &u->up[i], h);
    }
    h = gn_silu(&f, &u->norm_out, h);
    return drift_conv(g, h, u->conv_out.w, u->conv_out.b, 1, 1);
}

/* ---- cost ------------------------------------------------------------ */

static double conv_flops(int dims, int cin, int cout, int k, double positions)
{
    return 2.0 * cin * cout * (dims == 2 ? k * k : k) * positions;
}

double drift_unet_flops(const drift_unet_config *c, const int *spatial)
{
    double pos = spatial[0] * (double)(c->dims == 2 ? spatial[1] : 1);
    double f = 2.0 * (c->temb_in * c->temb_dim + c->temb_dim * c->temb_dim);
    int ch = c->base_channels, skips[MAX_BLOCKS], n = 0;
    f += conv_flops(c->dims, c->in_channels + c->cond_channels, ch, 3, pos);
    skips[n++] = ch;
    double lpos = pos;
    for (int l = 0; l < c->n_levels; l++) {
        int lc = c->base_channels * c->mults[l];
        for (int r = 0; r < c->res_blocks; r++) {
            f += conv_flops(c->dims, ch, lc, 3, lpos) + conv_flops(c->dims, lc, lc, 3, lpos) +
                 2.0 * c->temb_dim * lc + (ch != lc ? conv_flops(c->dims, ch, lc, 1, lpos) : 0);
            if ((c->attn_levels >> l) & 1)
                f += 2.0 * lpos * 4 * lc * lc;
            skips[n++] = ch = lc;
        }
        if (l != c->n_levels - 1) {
            lpos /= c->dims == 2 ? 4 : 2;
            f += conv_flops(c->dims, ch, ch, 3, lpos);
            skips[n++] = ch;
        }
    }
    f += 2 * (2 * conv_flops(c->dims, ch, ch, 3, lpos) + 2.0 * c->temb_dim * ch);
    if (c->mid_attention)
        f += 2.0 * lpos * 4 * ch * ch;
    for (int l = c->n_levels - 1; l >= 0; l--) {
        int lc = c->base_channels * c->mults[l];
        for (int r = 0; r <= c->res_blocks; r++) {
            int cin = ch + skips[--n];
            f += conv_flops(c->dims, cin, lc, 3, lpos) + conv_flops(c->dims, lc, lc, 3, lpos) +
                 2.0 * c->temb_dim * lc + (cin != lc ? conv_flops(c->dims, cin, lc, 1, lpos) : 0);
            if ((c->attn_levels >> l) & 1)
                f += 2.0 * lpos * 4 * lc * lc;
            ch = lc;
        }
        if (l != 0) {
            lpos *= c->dims == 2 ? 4 : 2;
            f += conv_flops(c->dims, ch, ch, 3, lpos);
        }
    }
    return f + conv_flops(c->dims, ch, c->out_channels, 3, pos);
}
