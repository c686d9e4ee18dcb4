/* classify.c: pooled log-mel features, a one-hidden-layer classifier
 * trained with Adam, and the Frechet distance (see classify.h). */
#include "classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int drift_sound_feature_dim(int n_mels)
{
    return 2 * n_mels + DRIFT_CLASSIFY_SEGMENTS;
}

void drift_sound_features(const float *mel, int n_mels, int frames, float *feat)
{
    float *env = feat + 2 * n_mels;
    memset(env, 0, DRIFT_CLASSIFY_SEGMENTS * sizeof *env);
    for (int b = 0; b < n_mels; b++) {
        const float *row = mel + (size_t)b * frames;
        float sum = 0, max = -1e30f;
        for (int f = 0; f < frames; f++) {
            sum += row[f];
            max = row[f] > max ? row[f] : max;
            env[f * DRIFT_CLASSIFY_SEGMENTS / frames] += row[f];
        }
        feat[b] = sum / frames;
        feat[n_mels + b] = max;
    }
    for (int s = 0; s < DRIFT_CLASSIFY_SEGMENTS; s++)
        env[s] /= (float)n_mels * frames / DRIFT_CLASSIFY_SEGMENTS;
}

struct drift_classifier {
    int dim, hidden, k;
    float *mean, *inv_std; /* feature standardisation (dim) */
    float *w1, *b1, *w2, *b2; /* (hidden, dim), (hidden), (k, hidden), (k) */
};

void drift_classifier_free(drift_classifier *c)
{
    if (!c)
        return;
    free(c->mean), free(c->inv_std), free(c->w1); /* w1 heads the one parameter block */
    free(c);
}

int drift_classifier_hidden(const drift_classifier *c)
{
    return c->hidden;
}

/* h = ReLU(W1 z + b1), logits = W2 h + b2 for standardised z. */
static void forward(const drift_classifier *c, const float *feat, float *z, float *h, float *logits)
{
    for (int i = 0; i < c->dim; i++)
        z[i] = (feat[i] - c->mean[i]) * c->inv_std[i];
    for (int j = 0; j < c->hidden; j++) {
        float s = c->b1[j];
        for (int i = 0; i < c->dim; i++)
            s += c->w1[(size_t)j * c->dim + i] * z[i];
        h[j] = s > 0 ? s : 0;
    }
    for (int o = 0; o < c->k; o++) {
        float s = c->b2[o];
        for (int j = 0; j < c->hidden; j++)
            s += c->w2[(size_t)o * c->hidden + j] * h[j];
        logits[o] = s;
    }
}

int drift_classifier_predict(const drift_classifier *c, const float *feat, float *emb)
{
    float z[2048], h[512], logits[1024];
    forward(c, feat, z, h, logits);
    int best = 0;
    for (int o = 1; o < c->k; o++)
        best = logits[o] > logits[best] ? o : best;
    if (emb)
        memcpy(emb, h, (size_t)c->hidden * sizeof *h);
    return best;
}

static void standardise(drift_classifier *c, const float *feats, int n)
{
    for (int i = 0; i < c->dim; i++) {
        double s = 0, s2 = 0;
        for (int r = 0; r < n; r++) {
            double v = feats[(size_t)r * c->dim + i];
            s += v, s2 += v * v;
        }
        double m = s / n, var = s2 / n - m * m;
        c->mean[i] = (float)m;
        c->inv_std[i] = (float)(1 / sqrt(var > 1e-8 ? var : 1e-8));
    }
}

/* Adam on one parameter array. */
static void adam(float *p, const float *g, float *m, float *v, size_t n, int t, float lr)
{
    float c1 = 1 - powf(0.9f, (float)t), c2 = 1 - powf(0.999f, (float)t);
    for (size_t i = 0; i < n; i++) {
        m[i] = 0.9f * m[i] + 0.1f * g[i];
        v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
        p[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + 1e-8f) + lr * 1e-4f * p[i];
    }
}

/* Gradients of the mean cross-entropy over the set into g (all params). */
static double gradients(const drift_classifier *c, const float *feats, const int *labels, int n, float *g)
{
    size_t n1 = (size_t)c->hidden * c->dim, n2 = (size_t)c->k * c->hidden;
    float *gw1 = g, *gb1 = g + n1, *gw2 = gb1 + c->hidden, *gb2 = gw2 + n2;
    memset(g, 0, (n1 + c->hidden + n2 + c->k) * sizeof *g);
    float z[2048], h[512], p[1024], dh[512];
    double loss = 0;
    for (int r = 0; r < n; r++) {
        forward(c, feats + (size_t)r * c->dim, z, h, p);
        float max = p[0], sum = 0;
        for (int o = 1; o < c->k; o++)
            max = p[o] > max ? p[o] : max;
        for (int o = 0; o < c->k; o++)
            sum += (p[o] = expf(p[o] - max));
        loss -= log(p[labels[r]] / sum + 1e-12);
        memset(dh, 0, (size_t)c->hidden * sizeof *dh);
        for (int o = 0; o < c->k; o++) {
            float d = (p[o] / sum - (o == labels[r])) / n;
            gb2[o] += d;
            for (int j = 0; j < c->hidden; j++) {
                gw2[(size_t)o * c->hidden + j] += d * h[j];
                dh[j] += d * c->w2[(size_t)o * c->hidden + j];
            }
        }
        for (int j = 0; j < c->hidden; j++) {
            if (h[j] <= 0)
                continue;
            gb1[j] += dh[j];
            for (int i = 0; i < c->dim; i++)
                gw1[(size_t)j * c->dim + i] += dh[j] * z[i];
        }
    }
    return loss / n;
}

drift_status drift_classifier_train(const float *feats, const int *labels, int n, int dim, int k, int hidden,
                                    int epochs, uint64_t seed, drift_classifier **out)
{
    *out = NULL;
    if (n < 1 || dim < 1 || dim > 2048 || k < 2 || k > 1024 || hidden < 1 || hidden > 512 || epochs < 1)
        return drift_fail(DRIFT_ERR_ARG, "classifier: bad sizes (n %d, dim %d, classes %d, hidden %d)", n, dim, k,
                          hidden);
    for (int r = 0; r < n; r++)
        if (labels[r] < 0 || labels[r] >= k)
            return drift_fail(DRIFT_ERR_ARG, "classifier: label %d of sample %d is not in [0, %d)", labels[r], r, k);
    drift_classifier *c = calloc(1, sizeof *c);
    size_t n1 = (size_t)hidden * dim, n2 = (size_t)k * hidden, np = n1 + hidden + n2 + k;
    float *params = c ? calloc(np, sizeof *params) : NULL, *buf = calloc(3 * np, sizeof *buf);
    if (!c || !params || !buf || !(c->mean = malloc(dim * sizeof(float))) ||
        !(c->inv_std = malloc(dim * sizeof(float)))) {
        free(params), free(buf);
        drift_classifier_free(c);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    }
    *c = (drift_classifier){dim, hidden, k, c->mean, c->inv_std, params, params + n1, params + n1 + hidden,
                            params + n1 + hidden + n2};
    standardise(c, feats, n);
    drift_rng rng;
    drift_rng_init(&rng, seed, 0);
    drift_rng_normal(&rng, c->w1, n1);
    drift_rng_normal(&rng, c->w2, n2);
    for (size_t i = 0; i < n1; i++)
        c->w1[i] *= (float)sqrt(2.0 / dim);
    for (size_t i = 0; i < n2; i++)
        c->w2[i] *= (float)sqrt(1.0 / hidden);
    for (int t = 1; t <= epochs; t++) {
        gradients(c, feats, labels, n, buf);
        adam(params, buf, buf + np, buf + 2 * np, np, t, 0.01f);
    }
    free(buf);
    *out = c;
    return DRIFT_OK;
}

/* Symmetric eigen-decomposition by cyclic Jacobi: a (n, n) is destroyed,
 * its eigenvalues end on the diagonal, v (n, n) holds the eigenvectors as
 * columns. */
static void jacobi(double *a, double *v, int n)
{
    for (int i = 0; i < n * n; i++)
        v[i] = i % (n + 1) == 0;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        if (off < 1e-22)
            return;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                if (fabs(a[p * n + q]) < 1e-300)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double cs = 1 / sqrt(t * t + 1), sn = t * cs;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = cs * akp - sn * akq;
                    a[k * n + q] = sn * akp + cs * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = cs * apk - sn * aqk;
                    a[q * n + k] = sn * apk + cs * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = cs * vkp - sn * vkq;
                    v[k * n + q] = sn * vkp + cs * vkq;
                }
            }
    }
}

/* out = V diag(f(lambda)) V^T of symmetric s (n, n); f = sqrt of max(0, .). */
static void sqrtm(const double *s, int n, double *out, double *a, double *v)
{
    memcpy(a, s, (size_t)n * n * sizeof *a);
    jacobi(a, v, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int k = 0; k < n; k++)
                sum += v[i * n + k] * sqrt(fmax(a[k * n + k], 0)) * v[j * n + k];
            out[i * n + j] = sum;
        }
}

static void moments(const float *x, int m, int n, double *mu, double *cov)
{
    for (int i = 0; i < n; i++) {
        mu[i] = 0;
        for (int r = 0; r < m; r++)
            mu[i] += x[(size_t)r * n + i] / m;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int r = 0; r < m; r++)
                s += (x[(size_t)r * n + i] - mu[i]) * (x[(size_t)r * n + j] - mu[j]);
            cov[i * n + j] = s / (m > 1 ? m - 1 : 1);
        }
}

static void matmul(const double *a, const double *b, int n, double *out)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            out[i * n + j] = s;
        }
}

drift_status drift_frechet_distance(const float *a, int na, const float *b, int nb, int dim, double *out)
{
    if (na < 2 || nb < 2 || dim < 1 || dim > 512)
        return drift_fail(DRIFT_ERR_ARG, "Frechet distance needs >= 2 samples per set and dim 1..512");
    size_t nn = (size_t)dim * dim;
    double *buf = malloc((2 * (size_t)dim + 7 * nn) * sizeof *buf);
    if (!buf)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    double *mua = buf, *mub = mua + dim, *sa = mub + dim, *sb = sa + nn, *r = sb + nn, *t = r + nn,
           *u = t + nn, *wa = u + nn, *wv = wa + nn;
    moments(a, na, dim, mua, sa);
    moments(b, nb, dim, mub, sb);
    sqrtm(sa, dim, r, wa, wv);  /* r = Sa^1/2 */
    matmul(r, sb, dim, t);
    matmul(t, r, dim, u);       /* u = Sa^1/2 Sb Sa^1/2 (symmetric) */
    sqrtm(u, dim, t, wa, wv);
    double d = 0;
    for (int i = 0; i < dim; i++)
        d += (mua[i] - mub[i]) * (mua[i] - mub[i]) + sa[i * dim + i] + sb[i * dim + i] - 2 * t[i * dim + i];
    free(buf);
    *out = d;
    return DRIFT_OK;
}
