/* trainsetup.h: from a recipe to what drift_train needs: the model (its
 * configuration from the recipe's network and diffusion settings), the
 * training options, and the data source the recipe's `data` names. */
#ifndef DRIFT_TRAINSETUP_H
#define DRIFT_TRAINSETUP_H

#include "drift.h"
#include "recipe.h"

typedef struct train_setup {
    drift_model *model;
    drift_train_options opts;
    drift_data_source data;
    void *data_state; /* owned by the data kind */
    void (*data_free)(void *state);
} train_setup;

drift_status train_setup_from_recipe(recipe *r, train_setup *out);
void train_setup_free(train_setup *ts);

/* Draws the checkpoint's loss log next to the model: MODEL minus its
 * extension + ".loss.png"; the path written goes to png. */
drift_status train_write_loss_curve(const char *checkpoint, const char *model_path, char *png, size_t size);

#endif
