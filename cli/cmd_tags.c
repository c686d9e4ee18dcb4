/* cmd_tags.c: `drift tags MODEL`: the tag words a sound model understands,
 * grouped by kind (instrument or drum, family, kit, pitch, velocity). */
#include "cli.h"
#include "commands.h"

#include "audio/sounddata.h"

#include <stdio.h>
#include <string.h>

static void help(void)
{
    printf("usage: drift tags [MODEL]\n\n"
           "Lists the tags a sound model's prompts may use, grouped by kind.\n"
           "MODEL defaults to presets/drums.safetensors.\n\n"
           "example:\n  drift tags presets/notes.safetensors\n");
}

static void print_kind(const drift_model *m, const char *kind, const char *title)
{
    int shown = 0;
    for (int i = 0; i < m->cfg.vocab_size; i++) {
        if (strcmp(drift_sound_tag_kind(m->cfg.vocab[i]), kind))
            continue;
        printf("%s%s", shown ? ", " : "", shown ? "" : title);
        if (!shown)
            printf(":\n  ");
        printf("%s", m->cfg.vocab[i]);
        shown++;
    }
    if (shown)
        printf("\n");
}

int cmd_tags(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help();
        return 0;
    }
    if (argc > 2)
        return cli_error("tags", "wants one model file (drift tags --help)");
    const char *path = argc == 2 ? argv[1] : "presets/drums.safetensors";
    drift_model *m;
    if (drift_model_load(path, &m) != DRIFT_OK)
        return cli_fail_status("tags", "cannot load the model");
    if (m->cfg.vocab_size == 0) {
        drift_model_free(m);
        return cli_error("tags", "'%s' takes no tags (an unconditional model)", path);
    }
    static const char *kinds[][2] = {{"instrument", "instruments and drums"}, {"family", "families"},
                                     {"kit", "drum kits"}, {"pitch", "pitches"}, {"velocity", "velocities"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        print_kind(m, kinds[k][0], kinds[k][1]);
    drift_model_free(m);
    return 0;
}
