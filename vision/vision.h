/* vision.h: everything of drift's vision library (libdrift_vision) in one
 * include: pictures in memory and in PNG/JPEG files, IDX data sets, plots,
 * and image metrics. Uses the engine (drift.h) only. */
#ifndef DRIFT_VISION_H
#define DRIFT_VISION_H

#include "colormap.h"
#include "idx.h"
#include "image.h"
#include "imagedir.h"
#include "jpegio.h"
#include "metrics.h"
#include "plot.h"
#include "pngio.h"

#endif
