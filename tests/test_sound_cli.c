/* test_sound_cli.c: the sound commands end to end through the drift
 * binary: a small GM data set, a tiny model trained a few steps with a
 * sounds recipe, WAVs of the right length and rate from drift generate
 * (one window, variations, continuation, spectrogram), drift tags, and
 * clear errors with no output file for bad prompts, missing models and bad
 * options. Usage: test_sound_cli PATH_TO_DRIFT */
#include "audio/drift_audio.h"
#include "testutil.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256], out_text[8192];
static const char *drift;

static const char *tmp(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

/* Runs drift with args; stdout and stderr land in out_text. */
static int run(const char *args)
{
    char cmd[2048], log[600];
    snprintf(log, sizeof log, "%s/log.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>&1", tmpdir, drift, args, log);
    int rc = system(cmd);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out_text, 1, sizeof out_text - 1, f) : 0;
    out_text[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void check_wav(const char *path, size_t frames)
{
    drift_audio a;
    if (drift_audio_read(path, &a) != DRIFT_OK) {
        CHECK(0, "read %s: %s", path, drift_last_error());
        return;
    }
    CHECK(a.rate == 22050 && a.channels == 1 && a.frames == frames, "%s: %d Hz, %d ch, %zu frames (want %zu)",
          path, a.rate, a.channels, a.frames, frames);
    drift_audio_free(&a);
}

static void write_recipe(void)
{
    FILE *f = fopen(tmp("tiny.recipe"), "w");
    fprintf(f, "data = sounds:sets/gm/drums.csv\nconditioning = tags\nframes = 16\ntag_embedding = 8\n"
               "base_channels = 8\nchannel_mults = 1,2\nres_blocks = 1\ngroups = 4\nattention_levels = 1\n"
               "time_embedding_in = 8\ntime_embedding = 16\nsteps = 3\nbatch = 2\nwarmup = 1\n"
               "checkpoint_every = 0\n");
    fclose(f);
}

static void test_dataset_and_train(void)
{
    CHECK(run("dataset render sets/gm --small --quiet") == 0, "render into a new nested folder: %s", out_text);
    CHECK(exists(tmp("sets/gm/drums.csv")) && exists(tmp("sets/gm/notes.csv")), "manifests written");
    CHECK(run("dataset import sets/gm/drums new/imported --quiet") == 0 && exists(tmp("new/imported/manifest.csv")),
          "import: %s", out_text);
    CHECK(run("dataset render") != 0 && strstr(out_text, "render OUT_DIR"), "missing folder: %s", out_text);
    write_recipe();
    CHECK(run("train tiny.recipe -o m.safetensors --quiet") == 0, "train: %s", out_text);
    CHECK(exists(tmp("m.safetensors")), "model written");
    /* Training in chunks: --until stops after that step, keeping the
     * recipe's schedule; going on gives the uninterrupted run's model. */
    CHECK(run("train tiny.recipe -o c.safetensors --until 2") == 0 && strstr(out_text, "stopped after step 2 of 3"),
          "--until 2: %s", out_text);
    CHECK(run("train tiny.recipe -o c.safetensors --until 1") == 0 && strstr(out_text, "already at step 2"),
          "--until behind the checkpoint: %s", out_text);
    CHECK(run("train tiny.recipe -o c.safetensors --quiet") == 0 && same_file(tmp("c.safetensors"), tmp("m.safetensors")),
          "chunked training gives the same model: %s", out_text);
    CHECK(run("tags m.safetensors") == 0 && strstr(out_text, "medium") && strstr(out_text, "velocities"),
          "tags listed: %s", out_text);
}

static void test_generate(void)
{
    CHECK(run("generate medium --model m.safetensors -o one.wav --steps 2 --quiet") == 0, "generate: %s",
          out_text);
    check_wav(tmp("one.wav"), 256 * 15 + 1);
    CHECK(run("generate \"\" --model m.safetensors -o var.wav --steps 2 --count 2 --spectrogram var.png "
              "--quiet") == 0,
          "variations: %s", out_text);
    check_wav(tmp("var-1.wav"), 256 * 15 + 1);
    check_wav(tmp("var-2.wav"), 256 * 15 + 1);
    CHECK(exists(tmp("var-1.png")) && exists(tmp("var-2.png")), "spectrograms written");
    CHECK(run("generate medium --model m.safetensors -o long.wav --steps 2 --duration 0.5 --quiet") == 0,
          "continuation: %s", out_text);
    check_wav(tmp("long.wav"), 11025);
}

static void test_errors(void)
{
    CHECK(run("generate mediun --model m.safetensors -o bad.wav --steps 2") != 0 &&
              strstr(out_text, "'mediun'") && strstr(out_text, "closest: 'medium'"),
          "unknown word with suggestions: %s", out_text);
    CHECK(run("generate kick --model nothing.safetensors -o bad.wav") != 0 && strstr(out_text, "nothing.safetensors") &&
              strstr(out_text, "drift train"),
          "missing model explained: %s", out_text);
    CHECK(run("generate medium --model m.safetensors -o bad.wav --steps abc") != 0 && strstr(out_text, "--steps"),
          "bad --steps: %s", out_text);
    CHECK(run("generate medium --model m.safetensors -o bad.wav --sampler nope") != 0 && strstr(out_text, "dpm++2m"),
          "bad --sampler lists the samplers: %s", out_text);
    CHECK(run("generate medium --model m.safetensors --steps 2") != 0 && strstr(out_text, "-o"), "no -o: %s",
          out_text);
    CHECK(run("generate medium --model tiny.recipe -o bad.wav") != 0, "a recipe is not a model: %s", out_text);
    CHECK(!exists(tmp("bad.wav")), "no output file after a failure");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '\\.tmp' > /dev/null", tmpdir);
    CHECK(system(cmd) != 0, "no temporary files left behind");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_sound_cli PATH_TO_DRIFT\n");
        return 2;
    }
    static char abs_drift[4096];
    if (!realpath(argv[1], abs_drift)) {
        fprintf(stderr, "test_sound_cli: no drift binary at %s\n", argv[1]);
        return 1;
    }
    drift = abs_drift;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/drift_sound_cli_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    test_dataset_and_train();
    test_generate();
    test_errors();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish("test_sound_cli");
}
