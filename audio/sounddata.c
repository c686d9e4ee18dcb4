/* sounddata.c: sound data set manifests, importing a WAV folder, and the
 * in-memory log-mel training source (see sounddata.h). */
#include "sounddata.h"

#include "mel.h"
#include "resample.h"
#include "sndio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- tags ---------------------------------------------------------------------- */

void drift_pitch_name(int midi, char *buf)
{
    static const char *names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
    midi = midi < 0 ? 0 : midi > 127 ? 127 : midi;
    snprintf(buf, 8, "%s%d", names[midi % 12], midi / 12 - 1);
}

const char *drift_velocity_word(int velocity)
{
    return velocity < 60 ? "soft" : velocity < 100 ? "medium" : "hard";
}

static bool is_pitch_name(const char *t)
{
    if (!strchr("ABCDEFG", toupper((unsigned char)t[0])))
        return false;
    t += 1 + (t[1] == '#');
    if (*t == '-')
        t++;
    if (!isdigit((unsigned char)*t))
        return false;
    while (isdigit((unsigned char)*t))
        t++;
    return *t == '\0';
}

const char *drift_sound_tag_kind(const char *tag)
{
    static const char *families[] = {"piano", "chromatic percussion", "organ", "guitar", "bass", "strings",
                                     "ensemble", "brass", "reed", "pipe", "synth lead", "synth pad",
                                     "drum kit", "percussion"};
    static const char *kits[] = {"standard kit", "room kit", "power kit", "electronic kit", "808 kit",
                                 "jazz kit", "brush kit"};
    if (is_pitch_name(tag))
        return "pitch";
    if (!strcmp(tag, "soft") || !strcmp(tag, "medium") || !strcmp(tag, "hard"))
        return "velocity";
    for (size_t i = 0; i < sizeof families / sizeof *families; i++)
        if (!strcmp(tag, families[i]))
            return "family";
    for (size_t i = 0; i < sizeof kits / sizeof *kits; i++)
        if (!strcmp(tag, kits[i]))
            return "kit";
    return "instrument";
}

/* ---- manifests ------------------------------------------------------------------ */

bool drift_sound_split_is_test(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    uint32_t h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)base; *c; c++)
        h = (h ^ *c) * 16777619u;
    return h % 10 == 0;
}

static void item_clear(drift_sound_item *it)
{
    free(it->file);
    free(it->family);
    for (int i = 0; i < it->n_tags; i++)
        free(it->tags[i]);
    memset(it, 0, sizeof *it);
}

void drift_sound_manifest_free(drift_sound_manifest *m)
{
    for (int i = 0; i < m->n; i++)
        item_clear(&m->items[i]);
    free(m->items);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

static bool clean_field(const char *s)
{
    return s && !strpbrk(s, ",\"\n\r;");
}

drift_status drift_sound_manifest_add(drift_sound_manifest *m, const drift_sound_item *item)
{
    if (!clean_field(item->file) || !item->file[0] || (item->family && !clean_field(item->family)))
        return drift_fail(DRIFT_ERR_ARG, "manifest fields may not hold commas, quotes or ';': '%s'",
                          item->file ? item->file : "(no file)");
    if (item->n_tags < 0 || item->n_tags > DRIFT_SOUND_MAX_TAGS)
        return drift_fail(DRIFT_ERR_ARG, "a clip has at most %d tags", DRIFT_SOUND_MAX_TAGS);
    for (int i = 0; i < item->n_tags; i++)
        if (!clean_field(item->tags[i]) || !item->tags[i][0])
            return drift_fail(DRIFT_ERR_ARG, "tag '%s' of '%s' is empty or holds a comma, quote or ';'",
                              item->tags[i] ? item->tags[i] : "", item->file);
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        drift_sound_item *p = realloc(m->items, (size_t)cap * sizeof *p);
        if (!p)
            return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
        m->items = p;
        m->cap = cap;
    }
    drift_sound_item *it = &m->items[m->n];
    memset(it, 0, sizeof *it);
    it->file = strdup(item->file);
    it->family = strdup(item->family ? item->family : "");
    bool ok = it->file && it->family;
    for (int i = 0; i < item->n_tags && ok; i++, it->n_tags++)
        ok = (it->tags[i] = strdup(item->tags[i])) != NULL;
    it->pitch = item->pitch;
    it->velocity = item->velocity;
    it->test = drift_sound_split_is_test(item->file);
    if (!ok) {
        item_clear(it);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    }
    m->n++;
    return DRIFT_OK;
}

drift_status drift_sound_manifest_write(const char *path, const drift_sound_manifest *m)
{
    drift_atomic_file f;
    drift_status s = drift_atomic_open(&f, path);
    if (s != DRIFT_OK)
        return s;
    fprintf(f.fp, "file,tags,family,pitch,velocity,split\n");
    for (int i = 0; i < m->n; i++) {
        const drift_sound_item *it = &m->items[i];
        fprintf(f.fp, "%s,", it->file);
        for (int t = 0; t < it->n_tags; t++)
            fprintf(f.fp, "%s%s", t ? ";" : "", it->tags[t]);
        fprintf(f.fp, ",%s,%d,%d,%s\n", it->family, it->pitch, it->velocity, it->test ? "test" : "train");
    }
    if (ferror(f.fp)) {
        drift_atomic_abort(&f);
        return drift_fail(DRIFT_ERR_IO, "cannot write '%s'", path);
    }
    return drift_atomic_commit(&f);
}

/* Splits line at commas in place: up to max fields. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    fields[n++] = line;
    for (char *c = line; *c && n < max; c++)
        if (*c == ',') {
            *c = '\0';
            fields[n++] = c + 1;
        }
    return n;
}

static bool parse_small_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* One data row of a manifest into item (strings point into line). */
static drift_status parse_row(char *line, const char *path, int lineno, drift_sound_item *it)
{
    char *f[7];
    int n = split_csv(line, f, 7);
    if (n != 6)
        return drift_fail(DRIFT_ERR_FORMAT, "%s:%d: expected 6 comma-separated fields, got %d", path, lineno, n);
    memset(it, 0, sizeof *it);
    it->file = f[0];
    it->family = f[2];
    for (char *tok = strtok(f[1], ";"); tok; tok = strtok(NULL, ";")) {
        if (it->n_tags == DRIFT_SOUND_MAX_TAGS)
            return drift_fail(DRIFT_ERR_FORMAT, "%s:%d: more than %d tags", path, lineno, DRIFT_SOUND_MAX_TAGS);
        it->tags[it->n_tags++] = tok;
    }
    if (!parse_small_int(f[3], -1, 127, &it->pitch) || !parse_small_int(f[4], -1, 127, &it->velocity))
        return drift_fail(DRIFT_ERR_FORMAT, "%s:%d: pitch and velocity must be -1..127, got '%s', '%s'", path,
                          lineno, f[3], f[4]);
    if (strcmp(f[5], "train") && strcmp(f[5], "test"))
        return drift_fail(DRIFT_ERR_FORMAT, "%s:%d: split must be train or test, got '%s'", path, lineno, f[5]);
    if (!f[0][0] || strstr(f[0], ".."))
        return drift_fail(DRIFT_ERR_FORMAT, "%s:%d: bad file name '%s'", path, lineno, f[0]);
    return DRIFT_OK;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    return strndup(path, (size_t)(slash - path) + (slash == path));
}

drift_status drift_sound_manifest_load(const char *path, drift_sound_manifest *out)
{
    memset(out, 0, sizeof *out);
    char *text;
    size_t size;
    drift_status s = drift_read_file(path, (size_t)256 << 20, &text, &size);
    if (s != DRIFT_OK)
        return s;
    if (strlen(text) != size) {
        free(text);
        return drift_fail(DRIFT_ERR_FORMAT, "'%s' is not a text file", path);
    }
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strncmp(line, "file,tags,family,pitch,velocity,split", 37) != 0)
        s = drift_fail(DRIFT_ERR_FORMAT, "'%s' is not a drift sound manifest (header "
                       "file,tags,family,pitch,velocity,split)", path);
    int lineno = 1;
    while (s == DRIFT_OK && (line = strtok_r(NULL, "\n", &save)) != NULL) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (!line[0])
            continue;
        drift_sound_item it;
        s = parse_row(line, path, lineno, &it);
        if (s == DRIFT_OK)
            s = drift_sound_manifest_add(out, &it);
    }
    free(text);
    if (s == DRIFT_OK && out->n == 0)
        s = drift_fail(DRIFT_ERR_FORMAT, "manifest '%s' lists no clips", path);
    if (s == DRIFT_OK && !(out->dir = dir_of(path)))
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    if (s != DRIFT_OK)
        drift_sound_manifest_free(out);
    return s;
}

/* ---- importing a folder ------------------------------------------------------------ */

static bool audio_name(const char *name)
{
    static const char *ext[] = {".wav", ".flac", ".ogg", ".aif", ".aiff", ".mp3"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof *ext; i++)
        if (!strcasecmp(dot, ext[i]))
            return name[0] != '.';
    return false;
}

/* Tags from a file name: "Snare_Tight-02.wav" -> snare, tight. */
static void tags_from_name(const char *name, char *buf, size_t cap, drift_sound_item *it)
{
    snprintf(buf, cap, "%s", name);
    char *dot = strrchr(buf, '.');
    if (dot)
        *dot = '\0';
    for (char *c = buf; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *tok = strtok(buf, "-_ ,;\""); tok && it->n_tags < DRIFT_SOUND_MAX_TAGS; tok = strtok(NULL, "-_ ,;\""))
        if (tok[strspn(tok, "0123456789")])
            it->tags[it->n_tags++] = tok;
}

/* Tags of `name` from a tags CSV text ("file,tag;tag"), into buf. */
static bool tags_from_csv(const char *csv, const char *name, char *buf, size_t cap, drift_sound_item *it)
{
    size_t len = strlen(name);
    for (const char *line = csv; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, name, len) || line[len] != ',')
            continue;
        size_t n = strcspn(line + len + 1, "\r\n");
        snprintf(buf, cap, "%.*s", (int)n, line + len + 1);
        for (char *tok = strtok(buf, ";"); tok && it->n_tags < DRIFT_SOUND_MAX_TAGS; tok = strtok(NULL, ";")) {
            while (*tok == ' ')
                tok++;
            if (*tok)
                it->tags[it->n_tags++] = tok;
        }
        return it->n_tags > 0;
    }
    return false;
}

/* Pitch and velocity from tags, where a tag says them. */
static void note_from_tags(drift_sound_item *it)
{
    it->pitch = it->velocity = -1;
    it->family = "";
    for (int i = 0; i < it->n_tags; i++) {
        const char *k = drift_sound_tag_kind(it->tags[i]);
        if (!strcmp(k, "family"))
            it->family = it->tags[i];
        for (int p = 0; p < 128 && !strcmp(k, "pitch"); p++) {
            char pn[8];
            drift_pitch_name(p, pn);
            if (!strcasecmp(pn, it->tags[i]))
                it->pitch = p;
        }
    }
}

/* Reads one file, mono at the params' rate, one window long, written into out_dir. */
static drift_status import_one(const char *in_path, const char *out_path, const drift_sound_params *p)
{
    drift_audio a, mono;
    drift_status s = drift_audio_read(in_path, &a);
    if (s != DRIFT_OK)
        return s;
    s = drift_audio_alloc(&mono, a.frames, 1, a.rate);
    if (s == DRIFT_OK) {
        drift_audio_mix_mono(&a, mono.data);
        s = drift_audio_resample(&mono, p->sample_rate);
    }
    drift_audio_free(&a);
    size_t w = drift_sound_window_samples(p);
    drift_audio out;
    if (s == DRIFT_OK && (s = drift_audio_alloc(&out, w, 1, p->sample_rate)) == DRIFT_OK) {
        memcpy(out.data, mono.data, (mono.frames < w ? mono.frames : w) * sizeof(float));
        s = drift_audio_write(out_path, &out, DRIFT_AUDIO_WAV16);
        drift_audio_free(&out);
    }
    drift_audio_free(&mono);
    return s;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The audio files of a folder, sorted. */
static drift_status list_audio(const char *dir, char ***names, int *n)
{
    DIR *d = opendir(dir);
    *names = NULL;
    *n = 0;
    if (!d)
        return drift_fail(DRIFT_ERR_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    int cap = 0;
    drift_status s = DRIFT_OK;
    for (struct dirent *e; s == DRIFT_OK && (e = readdir(d)) != NULL;) {
        if (!audio_name(e->d_name) || strpbrk(e->d_name, ",\";"))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(*names, (size_t)cap * sizeof *p);
            if (!p) {
                s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
                break;
            }
            *names = p;
        }
        if (!((*names)[*n] = strdup(e->d_name)))
            s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
        else
            (*n)++;
    }
    closedir(d);
    if (s == DRIFT_OK && *n == 0)
        s = drift_fail(DRIFT_ERR_ARG, "folder '%s' holds no audio files (.wav .flac .ogg .aiff .mp3)", dir);
    if (*n > 1)
        qsort(*names, (size_t)*n, sizeof **names, compare_names);
    return s;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static drift_status import_files(const char *wav_dir, const char *out_dir, const char *csv, char **names, int n,
                                 const drift_sound_params *p, drift_sound_manifest *man)
{
    drift_status s = DRIFT_OK;
    for (int i = 0; i < n && s == DRIFT_OK; i++) {
        char in[4096], out[4096], outname[512], buf[1024];
        drift_sound_item it = {0};
        if (csv ? !tags_from_csv(csv, names[i], buf, sizeof buf, &it) : (tags_from_name(names[i], buf, sizeof buf, &it), 0))
            return drift_fail(DRIFT_ERR_ARG, "the tags file lists no tags for '%s'", names[i]);
        if (it.n_tags == 0)
            return drift_fail(DRIFT_ERR_ARG, "no tags in the file name '%s' (use --tags CSV)", names[i]);
        snprintf(outname, sizeof outname, "%.*s.wav", (int)(strrchr(names[i], '.') - names[i]), names[i]);
        snprintf(in, sizeof in, "%s/%s", wav_dir, names[i]);
        snprintf(out, sizeof out, "%s/%s", out_dir, outname);
        note_from_tags(&it);
        it.file = outname;
        s = import_one(in, out, p);
        if (s == DRIFT_OK)
            s = drift_sound_manifest_add(man, &it);
    }
    return s;
}

drift_status drift_sound_import(const char *wav_dir, const char *out_dir, const char *tags_csv,
                                const drift_sound_params *params, int *clips)
{
    drift_sound_params p;
    drift_sound_params_default(&p);
    if (params)
        p = *params;
    char *csv = NULL, **names = NULL;
    size_t size;
    int n = 0;
    drift_status s = tags_csv ? drift_read_file(tags_csv, (size_t)64 << 20, &csv, &size) : DRIFT_OK;
    if (s == DRIFT_OK)
        s = list_audio(wav_dir, &names, &n);
    if (s == DRIFT_OK)
        s = drift_make_dirs(out_dir, true);
    drift_sound_manifest man = {0};
    if (s == DRIFT_OK)
        s = import_files(wav_dir, out_dir, csv, names, n, &p, &man);
    if (s == DRIFT_OK) {
        char path[4096];
        snprintf(path, sizeof path, "%s/manifest.csv", out_dir);
        s = drift_sound_manifest_write(path, &man);
    }
    if (s == DRIFT_OK && clips)
        *clips = man.n;
    drift_sound_manifest_free(&man);
    free_names(names, n);
    free(csv);
    return s;
}

/* ---- in-memory log-mels ------------------------------------------------------------- */

void drift_sound_set_free(drift_sound_set *s)
{
    free(s->mels);
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* Reads clip `it` as mono at the params' rate. */
static drift_status read_clip(const char *dir, const drift_sound_item *it, int rate, drift_audio *mono)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, it->file);
    drift_audio a;
    drift_status s = drift_audio_read(path, &a);
    if (s != DRIFT_OK)
        return s;
    s = drift_audio_alloc(mono, a.frames, 1, a.rate);
    if (s == DRIFT_OK) {
        drift_audio_mix_mono(&a, mono->data);
        s = drift_audio_resample(mono, rate);
        if (s != DRIFT_OK)
            drift_audio_free(mono);
    }
    drift_audio_free(&a);
    return s;
}

drift_status drift_sound_set_load(const drift_sound_manifest *man, const drift_sound_params *p, int split,
                                  drift_sound_set *out)
{
    memset(out, 0, sizeof *out);
    drift_sound_params raw = *p;
    raw.db_lo = -1000; /* encode to plain dB: normalise with a wide range, undone below */
    raw.db_hi = 1000;
    drift_sound_engine *e;
    drift_status s = drift_sound_engine_create_params(&raw, &e);
    if (s != DRIFT_OK)
        return s;
    size_t cells = (size_t)p->n_mels * (size_t)p->frames;
    out->n_mels = p->n_mels;
    out->frames = p->frames;
    out->items = calloc((size_t)man->n, sizeof *out->items);
    out->mels = malloc((size_t)man->n * cells * sizeof *out->mels);
    if (!out->items || !out->mels)
        s = drift_fail(DRIFT_ERR_NOMEM, "out of memory for %d spectrograms", man->n);
    for (int i = 0; i < man->n && s == DRIFT_OK; i++) {
        const drift_sound_item *it = &man->items[i];
        if (split >= 0 && it->test != (split == 1))
            continue;
        drift_audio mono;
        s = read_clip(man->dir, it, p->sample_rate, &mono);
        if (s != DRIFT_OK)
            break;
        float *mel = out->mels + (size_t)out->n * cells;
        s = drift_sound_engine_encode(e, mono.data, mono.frames, mel);
        drift_audio_free(&mono);
        drift_spec_norm wide = {raw.db_lo, raw.db_hi};
        drift_spec_denormalize(&wide, mel, cells);
        out->items[out->n++] = *it;
    }
    drift_sound_engine_free(e);
    if (s == DRIFT_OK && out->n == 0)
        s = drift_fail(DRIFT_ERR_ARG, "the manifest has no %s clips", split == 1 ? "test" : "training");
    if (s != DRIFT_OK)
        drift_sound_set_free(out);
    return s;
}

void drift_sound_set_fit(const drift_sound_set *s, float range_db, drift_sound_params *p)
{
    float hi = -1e30f;
    size_t n = (size_t)s->n * (size_t)s->n_mels * (size_t)s->frames;
    for (size_t i = 0; i < n; i++)
        hi = s->mels[i] > hi ? s->mels[i] : hi;
    p->db_hi = ceilf(hi);
    p->db_lo = p->db_hi - range_db;
}

void drift_sound_set_normalize(drift_sound_set *s, const drift_sound_params *p)
{
    if (s->normalized)
        return;
    drift_spec_norm norm = {p->db_lo, p->db_hi};
    drift_spec_normalize(&norm, s->mels, (size_t)s->n * (size_t)s->n_mels * (size_t)s->frames);
    s->normalized = true;
}

void drift_sound_vocab_free(char **vocab, int n)
{
    for (int i = 0; vocab && i < n; i++)
        free(vocab[i]);
    free(vocab);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

drift_status drift_sound_set_vocab(const drift_sound_set *s, char ***vocab, int *n)
{
    int total = 0, k = 0;
    for (int i = 0; i < s->n; i++)
        total += s->items[i].n_tags;
    char **all = malloc(((size_t)total + 1) * sizeof *all);
    if (!all)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    for (int i = 0; i < s->n; i++)
        for (int t = 0; t < s->items[i].n_tags; t++)
            all[k++] = s->items[i].tags[t];
    qsort(all, (size_t)total, sizeof *all, compare_strings);
    int distinct = 0;
    for (int i = 0; i < total; i++)
        if (i == 0 || strcmp(all[i], all[i - 1]))
            all[distinct++] = all[i];
    char **out = calloc((size_t)distinct + 1, sizeof *out);
    bool ok = out != NULL;
    for (int i = 0; i < distinct && ok; i++)
        ok = (out[i] = strdup(all[i])) != NULL;
    free(all);
    if (!ok) {
        drift_sound_vocab_free(out, distinct);
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    }
    *vocab = out;
    *n = distinct;
    return DRIFT_OK;
}

void drift_sound_set_tag_ids(const drift_sound_set *s, int i, char *const *vocab, int n_vocab, int max_tags,
                             int *ids)
{
    int k = 0;
    for (int t = 0; t < max_tags; t++)
        ids[t] = -1;
    for (int t = 0; t < s->items[i].n_tags && k < max_tags; t++) {
        char *const *hit = bsearch(&s->items[i].tags[t], vocab, (size_t)n_vocab, sizeof *vocab, compare_strings);
        if (hit)
            ids[k++] = (int)(hit - vocab);
    }
}

/* ---- the training source ---------------------------------------------------------------- */

struct drift_sound_source {
    drift_sound_manifest man;
    drift_sound_set set;
    drift_sound_params params;
    char *task_json;
    char **vocab;
    int n_vocab, max_tags;
    int *tag_ids; /* (n, max_tags) */
    float mean, inv_std;
};

void drift_sound_source_free(drift_sound_source *src)
{
    if (!src)
        return;
    drift_sound_set_free(&src->set);
    drift_sound_manifest_free(&src->man);
    drift_sound_vocab_free(src->vocab, src->n_vocab);
    free(src->task_json);
    free(src->tag_ids);
    free(src);
}

static drift_status source_tags(drift_sound_source *src)
{
    drift_status s = drift_sound_set_vocab(&src->set, &src->vocab, &src->n_vocab);
    if (s != DRIFT_OK)
        return s;
    src->tag_ids = malloc((size_t)src->set.n * (size_t)src->max_tags * sizeof(int));
    if (!src->tag_ids)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    for (int i = 0; i < src->set.n; i++)
        drift_sound_set_tag_ids(&src->set, i, src->vocab, src->n_vocab, src->max_tags,
                                src->tag_ids + (size_t)i * src->max_tags);
    return DRIFT_OK;
}

drift_status drift_sound_source_create(const drift_sound_source_options *o, drift_sound_source **out)
{
    *out = NULL;
    if (!(o->range_db >= 10 && o->range_db <= 200) || o->max_tags < 0 || o->max_tags > 64 || !(o->data_std > 0))
        return drift_fail(DRIFT_ERR_ARG, "sound data: range_db must be 10..200 (got %g), max_tags 0..64 (got %d), "
                          "data_std > 0", o->range_db, o->max_tags);
    drift_sound_source *src = calloc(1, sizeof *src);
    if (!src)
        return drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    src->params = o->params;
    src->max_tags = o->max_tags;
    src->mean = o->data_mean;
    src->inv_std = 1.0f / o->data_std;
    drift_status s = drift_sound_manifest_load(o->manifest, &src->man);
    if (s == DRIFT_OK)
        s = drift_sound_set_load(&src->man, &src->params, 0, &src->set);
    if (s == DRIFT_OK) {
        drift_sound_set_fit(&src->set, o->range_db, &src->params);
        drift_sound_set_normalize(&src->set, &src->params);
        if (!(src->task_json = drift_sound_params_to_json(&src->params)))
            s = drift_fail(DRIFT_ERR_NOMEM, "out of memory");
    }
    if (s == DRIFT_OK && src->max_tags > 0)
        s = source_tags(src);
    if (s != DRIFT_OK) {
        drift_sound_source_free(src);
        return s;
    }
    *out = src;
    return DRIFT_OK;
}

/* A batch of random training clips; only (step, rng) decide it. */
static drift_status source_fill(void *user, int64_t step, drift_rng *rng, drift_batch *b)
{
    drift_sound_source *src = user;
    size_t cells = (size_t)src->set.n_mels * (size_t)src->set.frames;
    (void)step;
    if (b->dim != cells)
        return drift_fail(DRIFT_ERR_SHAPE, "sound batches hold %zu values per clip, the trainer wants %zu", cells,
                          b->dim);
    for (int i = 0; i < b->size; i++) {
        int k = (int)drift_rng_below(rng, (uint32_t)src->set.n);
        const float *mel = src->set.mels + (size_t)k * cells;
        float *x = b->x0 + (size_t)i * cells;
        for (size_t j = 0; j < cells; j++)
            x[j] = (mel[j] - src->mean) * src->inv_std;
        if (b->tag_ids && src->max_tags > 0)
            memcpy(b->tag_ids + (size_t)i * src->max_tags, src->tag_ids + (size_t)k * src->max_tags,
                   (size_t)src->max_tags * sizeof(int));
        if (b->class_ids)
            b->class_ids[i] = -1;
    }
    return DRIFT_OK;
}

drift_data_source drift_sound_source_data(drift_sound_source *src)
{
    return (drift_data_source){source_fill, src};
}

const drift_sound_params *drift_sound_source_params(const drift_sound_source *src)
{
    return &src->params;
}

const char *drift_sound_source_task_json(const drift_sound_source *src)
{
    return src->task_json;
}

char **drift_sound_source_vocab(const drift_sound_source *src, int *n)
{
    *n = src->n_vocab;
    return src->vocab;
}

int drift_sound_source_clips(const drift_sound_source *src)
{
    return src->set.n;
}
