/* cmd_devices.c: `drift devices`: the audio output devices drift can play
 * on, with the numbers and names `drift play --device` accepts. */
#include "cli.h"
#include "commands.h"

#include "audio/drift_audio.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void help(void)
{
    printf("usage: drift devices\n\n"
           "Lists the audio output devices (PortAudio), marking the default one.\n"
           "Pass a device's number, or part of its name, to `drift play --device`.\n"
           "Exits with status 1 if there is no output device at all.\n\n"
           "example:\n  drift devices\n");
}

int cmd_devices(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return 0;
        }
        return 2;
    }
    if (optind < argc)
        return cli_error("devices", "unexpected argument '%s' (see drift devices --help)", argv[optind]);
    drift_audio_device *list;
    int n;
    if (drift_audio_devices(&list, &n) != DRIFT_OK)
        return cli_fail_status("devices", "cannot list audio devices");
    if (n == 0) {
        free(list);
        return cli_error("devices", "no audio output device found: no sound card or sound server (JACK, "
                         "PulseAudio) is available");
    }
    for (int i = 0; i < n; i++)
        printf("%3d  [%s] %s  (%d outputs, %.0f Hz)%s\n", list[i].index, list[i].host, list[i].name,
               list[i].max_outputs, list[i].default_rate, list[i].is_default ? "  default" : "");
    free(list);
    return 0;
}
