/* colormap.c: the magma-like colour map (see colormap.h). */
#include "colormap.h"

#include <math.h>

#define N_CONTROL 6

/* OKLab (L, a, b) of the control colours at t = 0, 0.2, ..., 1. */
static const float control[N_CONTROL][3] = {
    {0.0482f, -0.0035f, -0.0332f}, {0.3090f, 0.0673f, -0.1333f}, {0.4659f, 0.1486f, -0.0766f},
    {0.6206f, 0.1808f, 0.0387f},   {0.7888f, 0.0878f, 0.0972f},  {0.9785f, -0.0251f, 0.0749f},
};

static float catmull_rom(float p0, float p1, float p2, float p3, float u)
{
    float u2 = u * u, u3 = u2 * u;
    return 0.5f * (2.0f * p1 + (p2 - p0) * u + (2.0f * p0 - 5.0f * p1 + 4.0f * p2 - p3) * u2 +
                   (3.0f * p1 - p0 - 3.0f * p2 + p3) * u3);
}

static float linear_to_srgb(float v)
{
    v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    return v <= 0.0031308f ? 12.92f * v : 1.055f * powf(v, 1.0f / 2.4f) - 0.055f;
}

/* OKLab -> sRGB (Ottosson's matrices), clamped to the gamut. */
static void oklab_to_srgb(const float lab[3], float rgb[3])
{
    float l = lab[0] + 0.3963377774f * lab[1] + 0.2158037573f * lab[2];
    float m = lab[0] - 0.1055613458f * lab[1] - 0.0638541728f * lab[2];
    float s = lab[0] - 0.0894841775f * lab[1] - 1.2914855480f * lab[2];
    l = l * l * l;
    m = m * m * m;
    s = s * s * s;
    rgb[0] = linear_to_srgb(4.0767416621f * l - 3.3077115913f * m + 0.2309699292f * s);
    rgb[1] = linear_to_srgb(-1.2684380046f * l + 2.6097574011f * m - 0.3413193965f * s);
    rgb[2] = linear_to_srgb(-0.0041960863f * l - 0.7034186147f * m + 1.7076147010f * s);
}

void drift_colormap_magma(float t, float rgb[3])
{
    if (isnan(t)) {
        rgb[0] = rgb[1] = rgb[2] = 0.5f;
        return;
    }
    t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    float pos = t * (N_CONTROL - 1);
    int i = (int)pos;
    if (i > N_CONTROL - 2)
        i = N_CONTROL - 2;
    float u = pos - (float)i;
    int i0 = i > 0 ? i - 1 : 0, i3 = i + 2 < N_CONTROL ? i + 2 : N_CONTROL - 1;
    float lab[3];
    lab[0] = control[i][0] + (control[i + 1][0] - control[i][0]) * u;
    for (int k = 1; k < 3; k++)
        lab[k] = catmull_rom(control[i0][k], control[i][k], control[i + 1][k], control[i3][k], u);
    oklab_to_srgb(lab, rgb);
}
