/* main.c: the drift command: dispatches to subcommands. */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const cli_command commands[] = {
    {"generate", "generate sounds from a tag prompt (\"snare\", \"electric piano C4 soft\")", cmd_generate},
    {"tags", "list the tags a sound model understands", cmd_tags},
    {"play", "play an audio file through an output device", cmd_play},
    {"devices", "list the audio output devices", cmd_devices},
    {"spectrogram", "draw an audio file's log-mel spectrogram as a PNG", cmd_spectrogram},
    {"denoise", "remove noise from audio files (diffusion model or Wiener filter)", cmd_denoise},
    {"calibrate", "store a denoising model's calibration (its mask gain)", cmd_calibrate},
    {"image", "generate, denoise, inpaint or upscale pictures (drift image --help)", cmd_image},
    {"train", "train a model from a recipe file (resumable)", cmd_train},
    {"dataset", "build a sound data set (render General MIDI notes, or import a folder)", cmd_dataset},
    {"elbo", "an image model's variational bound in bits per dimension", cmd_elbo},
    {"info", "show the engine's setup, or a model's configuration", cmd_info},
};

static void usage(FILE *out)
{
    fprintf(out, "drift %s: diffusion models for sounds and images, on the CPU\n\n"
                 "usage: drift COMMAND [options]   (drift COMMAND --help for each)\n\n"
                 "commands:\n", DRIFT_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("drift %s\n", DRIFT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "drift: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
