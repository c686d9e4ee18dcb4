/* lv2host.h: a small lilv-based LV2 host for drift's plugin tests.
 *
 * It loads a plugin by URI from LV2_PATH, provides urid:map/unmap,
 * lv2:isLive (when asked), the worker (run synchronously inside
 * schedule_work, as offline hosts do, or on a thread of its own, as live
 * hosts do) and state (save to a folder, restore from it, through lilv's
 * mapPath/makePath). It feeds MIDI and patch:Set messages to the plugin's
 * control atom port and runs it block by block, and it measures what
 * run() does: the allocations it makes (an interposed allocator counts
 * only while run() or work_response() is executing) and its worst time
 * per block. */
#ifndef DRIFT_LV2HOST_H
#define DRIFT_LV2HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { LV2HOST_WORKER_SYNC, LV2HOST_WORKER_THREAD } lv2host_worker_mode;

typedef struct lv2host lv2host;

/* NULL (with a message on stderr) if the plugin is not found or does not
 * instantiate. The host activates the instance. */
lv2host *lv2host_new(const char *uri, double rate, bool live, lv2host_worker_mode mode);
void lv2host_free(lv2host *h);

/* Threaded worker: wait `seconds` before each job, as a slow model would. */
void lv2host_set_worker_delay(lv2host *h, double seconds);

/* Control ports by symbol: false if there is no such port. */
bool lv2host_set_control(lv2host *h, const char *symbol, float value);
float lv2host_get_control(const lv2host *h, const char *symbol);

/* Queue events for the next lv2host_run, at a frame offset in that block. */
void lv2host_midi(lv2host *h, uint32_t frame, uint8_t status, uint8_t data1, uint8_t data2);
void lv2host_set_path(lv2host *h, uint32_t frame, const char *property_uri, const char *path);

/* Runs one block of `frames` (<= 4096); copies the first audio output into
 * out (may be NULL), the second into out2 (may be NULL). Then delivers
 * worker responses. */
void lv2host_run(lv2host *h, uint32_t frames, float *out, float *out2);
/* The same with in (frames) copied to the first audio input first. */
void lv2host_run_with_input(lv2host *h, const float *in, uint32_t frames, float *out);

/* Threaded worker: waits (running empty blocks of `frames` so responses
 * are delivered) until no work is queued or running; true if it went
 * idle within timeout_s. With the synchronous worker it only delivers. */
bool lv2host_settle(lv2host *h, uint32_t frames, double timeout_s);

/* State: save into folder dir (created), restore from it. */
bool lv2host_save_state(lv2host *h, const char *dir);
bool lv2host_restore_state(lv2host *h, const char *dir);

/* What run() did: allocations counted during run()/work_response() since
 * the host was created, and the slowest run() in seconds. */
long lv2host_run_allocations(const lv2host *h);
double lv2host_worst_run_seconds(const lv2host *h);
void lv2host_reset_stats(lv2host *h);

/* Allocations counted for one malloc + free made as if inside run(): 2
 * when the counter works (a check that the allocation test can fail);
 * under AddressSanitizer its hooks also see its own bookkeeping, so more. */
long lv2host_counter_self_test(void);

#endif
