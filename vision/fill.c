/* fill.c: smooth hole filling (see fill.h): a push-pull pyramid, then
 * Gauss-Seidel sweeps (harmonic, biharmonic) or a multigrid-preconditioned
 * conjugate-gradient solve (biharmonic under tension). */
#include "fill.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- bilinear interpolation and its transpose ------------------------- */

/* The 4 pixels around a position, as row offsets and columns, and the
 * position's fractions between them. */
typedef struct taps {
    size_t row0, row1;
    int x0, x1;
    float ty, tx;
} taps;

static taps taps_at(int h, int w, float fy, float fx)
{
    fy = fminf(fmaxf(fy, 0.0f), (float)(h - 1));
    fx = fminf(fmaxf(fx, 0.0f), (float)(w - 1));
    int y0 = (int)fy, x0 = (int)fx, y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
    taps t = {(size_t)y0 * w, (size_t)y1 * w, x0, x1, fy - (float)y0, fx - (float)x0};
    return t;
}

float drift_fill_bilinear(const float *u, int h, int w, float fy, float fx)
{
    taps t = taps_at(h, w, fy, fx);
    float top = u[t.row0 + t.x0] * (1 - t.tx) + u[t.row0 + t.x1] * t.tx;
    float bottom = u[t.row1 + t.x0] * (1 - t.tx) + u[t.row1 + t.x1] * t.tx;
    return top * (1 - t.ty) + bottom * t.ty;
}

/* Adds v to u's pixels around (fy, fx) with drift_fill_bilinear's weights:
 * its transpose. */
static void bilinear_scatter(float *u, int h, int w, float fy, float fx, float v)
{
    taps t = taps_at(h, w, fy, fx);
    u[t.row0 + t.x0] += v * (1 - t.tx) * (1 - t.ty);
    u[t.row0 + t.x1] += v * t.tx * (1 - t.ty);
    u[t.row1 + t.x0] += v * (1 - t.tx) * t.ty;
    u[t.row1 + t.x1] += v * t.tx * t.ty;
}

/* ---- the operators -------------------------------------------------------- */

/* Graph Laplacian of plane u (h, w) at (y, x): the sum of (neighbour -
 * centre) over the 4-neighbours inside the plane. */
static float laplacian(const float *u, int h, int w, int y, int x)
{
    size_t p = (size_t)y * w + x;
    float s = 0;
    if (y > 0)
        s += u[p - w] - u[p];
    if (y + 1 < h)
        s += u[p + w] - u[p];
    if (x > 0)
        s += u[p - 1] - u[p];
    if (x + 1 < w)
        s += u[p + 1] - u[p];
    return s;
}

static int degree(int h, int w, int y, int x)
{
    return (y > 0) + (y + 1 < h) + (x > 0) + (x + 1 < w);
}

/* (L L u - t L u) at (y, x): the gradient of |L u|^2 / 2 + t |grad u|^2 / 2
 * with respect to u's pixel there. */
static float tension_at(const float *u, int h, int w, int y, int x, float t)
{
    int d = degree(h, w, y, x);
    float lp = laplacian(u, h, w, y, x), bi = -(float)d * lp;
    if (y > 0)
        bi += laplacian(u, h, w, y - 1, x);
    if (y + 1 < h)
        bi += laplacian(u, h, w, y + 1, x);
    if (x > 0)
        bi += laplacian(u, h, w, y, x - 1);
    if (x + 1 < w)
        bi += laplacian(u, h, w, y, x + 1);
    return bi - t * lp;
}

/* The coefficient of u's own pixel in tension_at. */
static float tension_diag(int h, int w, int y, int x, float t)
{
    float d = (float)degree(h, w, y, x);
    return d * d + d + t * d;
}

/* ---- Gauss-Seidel fills -------------------------------------------------- */

/* Gauss-Seidel sweeps of the biharmonic equation (the Laplacian squared
 * is 0) over the pixels with free[p] set: each moves to where its own
 * term of the squared Laplacian's sum is smallest. */
static void biharmonic_sweeps(int c, int h, int w, const unsigned char *free, float *v, int sweeps)
{
    size_t n = (size_t)h * w;
    for (int it = 0; it < sweeps; it++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t p = (size_t)y * w + x;
                if (!free[p])
                    continue;
                float diag = tension_diag(h, w, y, x, 0);
                for (int k = 0; k < c; k++) {
                    float *u = v + k * n;
                    u[p] -= tension_at(u, h, w, y, x, 0) / diag;
                }
            }
}

/* Gauss-Seidel sweeps of Laplace's equation over the holes: every hole
 * pixel becomes the mean of its 4 neighbours (edges clamped). */
static void relax(int c, int h, int w, const float *known, float *planes, int sweeps)
{
    size_t n = (size_t)h * w;
    for (int it = 0; it < sweeps; it++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t p = (size_t)y * w + x;
                if (known[p] > 0.5f)
                    continue;
                size_t up = y > 0 ? p - w : p, down = y + 1 < h ? p + w : p;
                size_t left = x > 0 ? p - 1 : p, right = x + 1 < w ? p + 1 : p;
                for (int k = 0; k < c; k++) {
                    float *u = planes + k * n;
                    u[p] = 0.25f * (u[up] + u[down] + u[left] + u[right]);
                }
            }
}

/* ---- push-pull ----------------------------------------------------------- */

/* One pyramid level: values v (c, h, w) with weights a (h, w) in [0, 1].
 * Averages (weighted) into the next level, recurses while anything is
 * uncovered, and fills each pixel's missing weight from the coarser
 * level, bilinearly interpolated; with sweeps > 0, then sweeps
 * biharmonic Gauss-Seidel sweeps over the pixels that were wholly unknown
 * at this level. */
static void push_pull(int c, int h, int w, float *v, float *a, float empty, int sweeps, float *work)
{
    size_t n = (size_t)h * w;
    bool covered = true;
    for (size_t p = 0; p < n && covered; p++)
        covered = a[p] >= 1.0f;
    if (covered)
        return;
    if (n == 1) { /* nothing known anywhere */
        for (int k = 0; k < c; k++)
            v[k] = a[0] > 0 ? v[k] : empty;
        a[0] = 1;
        return;
    }
    int h2 = (h + 1) / 2, w2 = (w + 1) / 2;
    size_t n2 = (size_t)h2 * w2;
    float *v2 = work, *a2 = v2 + (size_t)c * n2;
    for (int y = 0; y < h2; y++)
        for (int x = 0; x < w2; x++) {
            float s = 0, acc[8] = {0};
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int yy = 2 * y + dy, xx = 2 * x + dx;
                    if (yy >= h || xx >= w)
                        continue;
                    size_t p = (size_t)yy * w + xx;
                    s += a[p];
                    for (int k = 0; k < c; k++)
                        acc[k] += a[p] * v[k * n + p];
                }
            size_t q = (size_t)y * w2 + x;
            for (int k = 0; k < c; k++)
                v2[k * n2 + q] = s > 0 ? acc[k] / s : 0;
            a2[q] = fminf(s, 1.0f);
        }
    push_pull(c, h2, w2, v2, a2, empty, sweeps, a2 + n2);
    /* the coarser levels are done with the work area past this level's */
    unsigned char *free_px = sweeps > 0 ? (unsigned char *)(a2 + n2) : NULL;
    for (size_t p = 0; free_px && p < n; p++)
        free_px[p] = a[p] <= 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t p = (size_t)y * w + x;
            if (a[p] >= 1.0f)
                continue;
            for (int k = 0; k < c; k++)
                v[k * n + p] =
                    a[p] * v[k * n + p] + (1 - a[p]) * drift_fill_bilinear(v2 + k * n2, h2, w2,
                                                                           drift_fill_coarse_pos(y, 2),
                                                                           drift_fill_coarse_pos(x, 2));
            a[p] = 1;
        }
    if (free_px)
        biharmonic_sweeps(c, h, w, free_px, v, sweeps);
}

/* ---- the fill under tension: multigrid-preconditioned CG ---------------- */

#define MAX_LEVELS 24
#define SMOOTHING_SWEEPS 2 /* Gauss-Seidel sweeps before and after each coarse correction */
#define COARSEST_SWEEPS 20 /* forward-backward pairs on the coarsest level */

/* tension_at for a pixel at least 2 away from every edge of the plane,
 * where the stencil is whole: 20 u - 8 (4 neighbours) + 2 (4 diagonal
 * ones) + (4 two steps away), minus t times the Laplacian. */
static inline float tension_inner(const float *u, size_t p, size_t w, float t)
{
    float near = u[p - w] + u[p + w] + u[p - 1] + u[p + 1];
    float diag = u[p - w - 1] + u[p - w + 1] + u[p + w - 1] + u[p + w + 1];
    float far = u[p - 2 * w] + u[p + 2 * w] + u[p - 2] + u[p + 2];
    return 20 * u[p] - 8 * near + 2 * diag + far - t * (near - 4 * u[p]);
}

/* One level of the multigrid hierarchy: the free pixels of a plane (h, w)
 * at this level's spacing, listed in raster order (those within 2 pixels
 * of the plane's edge apart, for the whole-stencil shortcut), and the
 * correction e solving A e = r there (e is 0 on every other pixel). */
typedef struct grid {
    int h, w;
    float t;                    /* the tension in this level's pixels */
    uint32_t *inner, *edge;     /* free pixels (p = y w + x), away from / near the edge */
    size_t n_inner, n_edge;
    float *e, *r;               /* correction and right-hand side: (h, w) each */
} grid;

/* Hands out n floats from a work area. */
static float *take(float **cursor, size_t n)
{
    float *p = *cursor;
    *cursor += n;
    return p;
}

/* Lists the pixels of free (h, w) into g (room for n_free of them). */
static void list_free(grid *g, const unsigned char *free, size_t n_free, float **cursor)
{
    g->inner = (uint32_t *)take(cursor, n_free), g->edge = g->inner + n_free;
    g->n_inner = g->n_edge = 0;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            size_t p = (size_t)y * g->w + x;
            if (!free[p])
                continue;
            if (y >= 2 && y + 2 < g->h && x >= 2 && x + 2 < g->w)
                g->inner[g->n_inner++] = (uint32_t)p;
            else
                *--g->edge = (uint32_t)p; /* from the end, in reverse order */
        }
    g->n_edge = (size_t)(g->inner + n_free - g->edge);
}

/* A e at free pixel p of g. */
static inline float apply_at(const grid *g, const float *e, uint32_t p, bool inner)
{
    if (inner)
        return tension_inner(e, p, (size_t)g->w, g->t);
    return tension_at(e, g->h, g->w, (int)(p / (uint32_t)g->w), (int)(p % (uint32_t)g->w), g->t);
}

static inline float diag_at(const grid *g, uint32_t p, bool inner)
{
    if (inner)
        return 20 + 4 * g->t;
    return tension_diag(g->h, g->w, (int)(p / (uint32_t)g->w), (int)(p % (uint32_t)g->w), g->t);
}

/* Level 0 from the free mask; each coarser level halves the plane, its
 * pixel free where all of its (up to 4) finer pixels are, until no pixel
 * is free. Returns the number of levels. Level 0's e and r are left for
 * the caller; the lists, masks and coarser planes come from *cursor,
 * the planes zeroed. */
static int build_levels(grid *lv, int h, int w, unsigned char *free, float t, float **cursor)
{
    size_t n_free = 0;
    for (size_t p = 0; p < (size_t)h * w; p++)
        n_free += free[p];
    if (!n_free)
        return 0;
    lv[0] = (grid){.h = h, .w = w, .t = t};
    list_free(&lv[0], free, n_free, cursor);
    int n_levels = 1;
    while (n_levels < MAX_LEVELS) {
        const grid *f = &lv[n_levels - 1];
        grid *g = &lv[n_levels];
        *g = (grid){.h = (f->h + 1) / 2, .w = (f->w + 1) / 2, .t = 4 * f->t};
        if (g->h == f->h && g->w == f->w)
            break;
        size_t n = (size_t)g->h * g->w;
        unsigned char *coarse = (unsigned char *)take(cursor, n / sizeof(float) + 1);
        n_free = 0;
        for (int y = 0; y < g->h; y++)
            for (int x = 0; x < g->w; x++) {
                bool all = true;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int yy = 2 * y + dy, xx = 2 * x + dx;
                        if (yy < f->h && xx < f->w)
                            all = all && free[(size_t)yy * f->w + xx];
                    }
                coarse[(size_t)y * g->w + x] = all;
                n_free += all;
            }
        if (!n_free)
            break;
        list_free(g, coarse, n_free, cursor);
        free = coarse;
        g->e = take(cursor, n), g->r = take(cursor, n);
        memset(g->e, 0, 2 * n * sizeof(float));
        n_levels++;
    }
    return n_levels;
}

/* One Gauss-Seidel sweep of A e = r over g's free pixels, forward or
 * backward (a forward sweep before and a backward one after keeps the
 * V-cycle symmetric, as conjugate gradients needs). */
static void smooth(grid *g, bool backward)
{
    float *e = g->e;
    const float *r = g->r;
    if (!backward)
        for (size_t i = g->n_edge; i-- > 0;) {
            uint32_t p = g->edge[i];
            e[p] += (r[p] - apply_at(g, e, p, false)) / diag_at(g, p, false);
        }
    float inv = 1 / (20 + 4 * g->t);
    for (size_t i = 0; i < g->n_inner; i++) {
        uint32_t p = g->inner[backward ? g->n_inner - 1 - i : i];
        e[p] += (r[p] - tension_inner(e, p, (size_t)g->w, g->t)) * inv;
    }
    if (backward)
        for (size_t i = 0; i < g->n_edge; i++) {
            uint32_t p = g->edge[i];
            e[p] += (r[p] - apply_at(g, e, p, false)) / diag_at(g, p, false);
        }
}

/* Runs body for every free pixel p of g, inner saying whether it is away
 * from the edge. */
#define FOR_FREE(g, p, inner, body)                                                                               \
    do {                                                                                                          \
        for (size_t i_ = 0; i_ < (g)->n_inner; i_++) {                                                            \
            uint32_t p = (g)->inner[i_];                                                                          \
            bool inner = true;                                                                                    \
            body;                                                                                                 \
        }                                                                                                         \
        for (size_t i_ = 0; i_ < (g)->n_edge; i_++) {                                                             \
            uint32_t p = (g)->edge[i_];                                                                           \
            bool inner = false;                                                                                   \
            body;                                                                                                 \
        }                                                                                                         \
    } while (0)

/* e = an approximation of A^-1 r on level l (a V-cycle). The coarse
 * operator is A rediscretised at twice the spacing, which for smooth
 * corrections is 16 times the fine one; the residual goes down by the
 * transpose of bilinear interpolation (4 times an average), so the coarse
 * right-hand side is 4 P^T (r - A e). */
static void vcycle(grid *lv, int l, int n_levels)
{
    grid *g = &lv[l];
    FOR_FREE(g, p, inner, g->e[p] = 0; (void)inner);
    if (l == n_levels - 1) {
        for (int i = 0; i < COARSEST_SWEEPS; i++) {
            smooth(g, false);
            smooth(g, true);
        }
        return;
    }
    for (int i = 0; i < SMOOTHING_SWEEPS; i++)
        smooth(g, false);
    grid *c = &lv[l + 1];
    uint32_t w = (uint32_t)g->w;
    memset(c->r, 0, (size_t)c->h * c->w * sizeof(float));
    FOR_FREE(g, p, inner,
             bilinear_scatter(c->r, c->h, c->w, drift_fill_coarse_pos((int)(p / w), 2),
                              drift_fill_coarse_pos((int)(p % w), 2), 4 * (g->r[p] - apply_at(g, g->e, p, inner))));
    vcycle(lv, l + 1, n_levels);
    FOR_FREE(g, p, inner,
             g->e[p] += drift_fill_bilinear(c->e, c->h, c->w, drift_fill_coarse_pos((int)(p / w), 2),
                                            drift_fill_coarse_pos((int)(p % w), 2));
             (void)inner);
    for (int i = 0; i < SMOOTHING_SWEEPS; i++)
        smooth(g, true);
}

/* Sum of a[p] b[p] over g's free pixels. */
static double dot(const grid *g, const float *a, const float *b)
{
    double s = 0;
    FOR_FREE(g, p, inner, s += (double)a[p] * b[p]; (void)inner);
    return s;
}

/* Minimises |L u|^2 + t |grad u|^2 over the free pixels of u (h, w), the
 * others held, starting from u: conjugate gradients on A u = 0 (A as in
 * tension_at), preconditioned by lv's V-cycle, whose level 0 works in
 * r (the residual) and e (the preconditioned residual); d and q: (h, w),
 * zero off the free pixels. */
static void tension_cg(grid *lv, int n_levels, float *u, float *d, float *q)
{
    grid *g = &lv[0];
    float *r = g->r, *z = g->e;
    FOR_FREE(g, p, inner, r[p] = -apply_at(g, u, p, inner));
    vcycle(lv, 0, n_levels);
    double rz = dot(g, r, z), r0 = dot(g, r, r);
    FOR_FREE(g, p, inner, d[p] = z[p]; (void)inner);
    for (int it = 0; it < DRIFT_RESTORE_TENSION_ITERS && rz > 0; it++) {
        FOR_FREE(g, p, inner, q[p] = apply_at(g, d, p, inner));
        double dq = dot(g, d, q);
        if (!(dq > 0))
            break;
        float alpha = (float)(rz / dq);
        FOR_FREE(g, p, inner, u[p] += alpha * d[p]; r[p] -= alpha * q[p]; (void)inner);
        if (dot(g, r, r) <= (double)DRIFT_RESTORE_TENSION_TOL * DRIFT_RESTORE_TENSION_TOL * r0)
            break;
        vcycle(lv, 0, n_levels);
        double rz_next = dot(g, r, z);
        float beta = (float)(rz_next / rz);
        rz = rz_next;
        FOR_FREE(g, p, inner, d[p] = z[p] + beta * d[p]; (void)inner);
    }
}

/* The fill under tension of each plane of v (c, h, w) from its push-pull
 * start. work: see DRIFT_RESTORE_FILL_WORK (the pyramid is done with it). */
static void tension_fill(int c, int h, int w, const float *known, float *v, float *work)
{
    size_t n = (size_t)h * w;
    float *cursor = work;
    unsigned char *free = (unsigned char *)take(&cursor, n / sizeof(float) + 1);
    for (size_t p = 0; p < n; p++)
        free[p] = known[p] <= 0.5f;
    float *r = take(&cursor, n), *z = take(&cursor, n), *d = take(&cursor, n), *q = take(&cursor, n);
    memset(r, 0, 4 * n * sizeof(float));
    grid lv[MAX_LEVELS];
    int n_levels = build_levels(lv, h, w, free, DRIFT_RESTORE_TENSION, &cursor);
    if (n_levels == 0)
        return;
    lv[0].r = r, lv[0].e = z;
    for (int k = 0; k < c; k++)
        tension_cg(lv, n_levels, v + k * n, d, q);
}

/* ---- the fill -------------------------------------------------------------- */

void drift_restore_fill(int c, int h, int w, const float *known, drift_restore_fill_kind kind, float empty,
                        float *planes, float *work)
{
    size_t n = (size_t)h * w;
    float *a = work;
    bool any = false;
    for (size_t p = 0; p < n; p++) {
        a[p] = known[p] > 0.5f ? 1.0f : 0.0f;
        any |= a[p] > 0;
    }
    push_pull(c, h, w, planes, a, empty, kind == DRIFT_RESTORE_FILL_BIHARMONIC ? DRIFT_RESTORE_BIHARMONIC_SWEEPS : 0,
              a + n);
    if (any && kind == DRIFT_RESTORE_FILL_HARMONIC)
        relax(c, h, w, known, planes, DRIFT_RESTORE_FILL_SWEEPS);
    if (any && kind == DRIFT_RESTORE_FILL_TENSION)
        tension_fill(c, h, w, known, planes, work);
}

static const char *const fill_names[] = {"harmonic", "biharmonic", "tension"};

const char *drift_restore_fill_name(drift_restore_fill_kind kind)
{
    return fill_names[kind];
}

drift_status drift_restore_fill_parse(const char *name, drift_restore_fill_kind *out)
{
    for (int k = 0; k < (int)(sizeof fill_names / sizeof *fill_names); k++)
        if (!strcmp(name, fill_names[k])) {
            *out = (drift_restore_fill_kind)k;
            return DRIFT_OK;
        }
    return drift_fail(DRIFT_ERR_ARG, "fill '%s' is not harmonic, biharmonic or tension", name);
}
