/* test_audio_playback.c: plays generated tones through PortAudio and checks
 * the frames the callback reports. Run by test_audio_playback.sh, which
 * starts a private JACK server with the dummy backend first.
 *   test_audio_playback DEVICE     play through DEVICE (e.g. "jack")
 *   test_audio_playback --none     expect a clear "no device" failure */
#include "drift_audio.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void tone(drift_audio *a, size_t frames, int channels, int rate)
{
    drift_audio_alloc(a, frames, channels, rate);
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            a->data[i * channels + c] = (float)(0.25 * sin(2 * M_PI * (440.0 + 110 * c) * i / rate));
}

static void test_devices(const char *device)
{
    drift_audio_device *list;
    int n;
    CHECK(drift_audio_devices(&list, &n) == DRIFT_OK, "devices: %s", drift_last_error());
    bool found = false;
    for (int i = 0; i < n; i++) {
        printf("  device %d: [%s] %s, %d outputs, %.0f Hz\n", list[i].index, list[i].host, list[i].name,
               list[i].max_outputs, list[i].default_rate);
        found |= strstr(list[i].host, "JACK") != NULL;
    }
    CHECK(found || strcmp(device, "jack"), "no JACK device among %d output devices", n);
    free(list);
}

/* The player API directly: 0.5 s of mono at the device's 48 kHz. */
static void test_player(const char *device)
{
    drift_player *p;
    if (drift_player_open(&p, device, 48000, 1) != DRIFT_OK) {
        CHECK(0, "player_open: %s", drift_last_error());
        return;
    }
    CHECK(drift_player_rate(p) == 48000 && drift_player_channels(p) == 1, "granted %d Hz, %d channels",
          drift_player_rate(p), drift_player_channels(p));
    drift_audio a;
    tone(&a, 24000, 1, 48000);
    CHECK(drift_player_write(p, a.data, a.frames) == DRIFT_OK, "write: %s", drift_last_error());
    CHECK(drift_player_finish(p) == DRIFT_OK, "finish: %s", drift_last_error());
    CHECK(drift_player_frames_played(p) == 24000, "player reported %zu frames played, expected 24000",
          drift_player_frames_played(p));
    printf("player on %s: %zu frames, %zu underruns\n", drift_player_device_name(p), drift_player_frames_played(p),
           drift_player_underruns(p));
    drift_player_close(p);
    drift_audio_free(&a);
}

static void progress(void *ctx, size_t played, size_t total)
{
    size_t *calls = ctx;
    (*calls)++;
    CHECK(played <= total, "progress %zu of %zu", played, total);
}

/* One call: 0.75 s of stereo at 44.1 kHz, resampled to the device's rate. */
static void test_play_audio(const char *device)
{
    drift_audio a;
    tone(&a, 33075, 2, 44100);
    size_t played = 0, calls = 0;
    CHECK(drift_play_audio(&a, device, progress, &calls, &played) == DRIFT_OK, "play: %s", drift_last_error());
    CHECK(played == 36000, "played %zu frames at 48 kHz, expected 36000", played);
    CHECK(calls > 1, "progress called %zu times", calls);
    drift_audio_free(&a);
}

static void test_no_device(void)
{
    drift_audio a;
    tone(&a, 100, 1, 48000);
    size_t played = 1;
    drift_status s = drift_play_audio(&a, NULL, NULL, NULL, &played);
    CHECK(s == DRIFT_ERR_DEVICE && strstr(drift_last_error(), "no audio output device") && played == 0,
          "without any device: status %d, '%s'", (int)s, drift_last_error());
    drift_audio_free(&a);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_audio_playback DEVICE | --none\n");
        return 2;
    }
    if (!strcmp(argv[1], "--none")) {
        test_no_device();
    } else {
        test_devices(argv[1]);
        test_player(argv[1]);
        test_play_audio(argv[1]);
    }
    return test_finish("test_audio_playback");
}
