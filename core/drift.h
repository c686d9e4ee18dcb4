/* drift.h: the one public header of drift's engine (libdrift_core).
 *
 * The engine knows tensors and models, never audio files, pixels or plugin
 * hosts. Include this header and nothing else from core/. */
#ifndef DRIFT_H
#define DRIFT_H

#include "status.h"
#include "rng.h"
#include "arena.h"
#include "tensor.h"
#include "graph.h"
#include "threads.h"
#include "blas.h"
#include "fileio.h"
#include "op_conv.h"
#include "op_linear.h"
#include "op_shape.h"
#include "op_elem.h"
#include "op_norm.h"
#include "op_attn.h"
#include "op_embed.h"
#include "op_loss.h"
#include "params.h"
#include "optim.h"
#include "unet.h"
#include "schedule.h"
#include "sampler.h"
#include "safetensors.h"
#include "model.h"
#include "train.h"
#include "elbo.h"
#include "inverse.h"
#include "op_pool.h"
#include "op_xent.h"
#include "frechet.h"
#include "classifier.h"

#define DRIFT_VERSION "0.1.0"

#endif
