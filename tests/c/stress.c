/*
 * Stress test of the C ABI, run by tests/ffi_c.rs (natively and under valgrind):
 * many contexts created and destroyed, several clients per context in every mode
 * (JSON poll, JSON sink, protobuf poll), thousands of pipelined commands to simulated toys,
 * clients freed with replies in flight and from inside their own callback, contexts ended by
 * shutdown+free or by free alone.
 *
 * usage: stress CONTEXTS CLIENTS_PER_CONTEXT COMMANDS_PER_CLIENT
 * Prints "stress: N passed, 0 failed" and exits 0 when every check held.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teleplug.h"

static int failures = 0;
static int checks = 0;

/* Whether buf[0..len) contains the NUL-terminated `needle` (memmem is not in every C library:
 * mingw's has none). */
static int contains(const uint8_t *buf, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(buf + i, needle, n) == 0) return 1;
    }
    return 0;
}

#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failures++;                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                 \
            fputc('\n', stderr);                          \
        }                                                 \
    } while (0)

/* Sink-mode bookkeeping. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int replies;        /* responses with an id */
    int errors;         /* error responses */
    int device_added;
    int finalized;
    int free_in_callback; /* free the client from inside its callback at this reply count */
    tp_client *self;
} sink_state;

static void on_event(void *user_data, const uint8_t *buf, size_t len) {
    sink_state *s = user_data;
    int has_id = len > 6 && memcmp(buf, "{\"id\":", 6) == 0;
    int is_error = contains(buf, len, "\"error\"");
    int added = contains(buf, len, "\"deviceAdded\"");
    pthread_mutex_lock(&s->lock);
    if (has_id) s->replies++;
    if (is_error) s->errors++;
    if (added) s->device_added++;
    int free_now = s->free_in_callback > 0 && s->replies == s->free_in_callback;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (free_now) tp_client_free(s->self); /* legal inside its own callback */
}

static void on_free(void *user_data) {
    sink_state *s = user_data;
    pthread_mutex_lock(&s->lock);
    s->finalized++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static int send_json(tp_client *c, const char *json) {
    for (;;) {
        int32_t st = tp_client_send(c, (const uint8_t *)json, strlen(json));
        if (st != TP_ERR_BUSY) return st;
    }
}

/* Poll until a response with `id` arrives (counting error responses, and deviceAdded events
 * in `*added` when not NULL: one may come before the reply to startScanning); 1 when found. */
static int poll_until(tp_client *c, int json, unsigned id, int *errors, int *added) {
    for (;;) {
        tp_buffer buf;
        int32_t st = tp_client_poll(c, 10000, &buf);
        if (st != TP_OK) return 0;
        unsigned got = 0;
        if (json) {
            char head[32]; /* buffers are not NUL-terminated */
            size_t n = buf.len < sizeof head - 1 ? buf.len : sizeof head - 1;
            memcpy(head, buf.data, n);
            head[n] = '\0';
            sscanf(head, "{\"id\":%u", &got);
            if (contains(buf.data, buf.len, "\"error\"") && got != 0) (*errors)++;
            if (added != NULL && contains(buf.data, buf.len, "\"deviceAdded\"")) (*added)++;
        } else if (buf.len >= 2 && buf.data[0] == 0x08) {
            /* protobuf: field 1 (id) varint first; ids here stay below 16384 */
            got = buf.data[1] & 0x7f;
            if (buf.data[1] & 0x80) got |= (unsigned)buf.data[2] << 7;
        }
        tp_buffer_free(buf);
        if (got == id) return 1;
    }
}

/* A protobuf Request{id, ping: Empty}: field 1 varint, field 18 length-delimited (empty). */
static size_t pb_ping(uint8_t *out, unsigned id) {
    size_t n = 0;
    out[n++] = 0x08;
    if (id < 128) {
        out[n++] = (uint8_t)id;
    } else {
        out[n++] = (uint8_t)((id & 0x7f) | 0x80);
        out[n++] = (uint8_t)(id >> 7);
    }
    out[n++] = 0x92;
    out[n++] = 0x01;
    out[n++] = 0x00;
    return n;
}

static void connect_and_find_toy(tp_client *c, int poll, sink_state *s, int n) {
    char json[256];
    send_json(c, "{\"id\":1,\"connect\":{\"embedded\":{\"disabledTransports\":7}}}");
    snprintf(json, sizeof json,
             "{\"id\":2,\"simulatorAdvertise\":{\"lovense\":{\"address\":\"stress-%d\","
             "\"battery\":50}}}", n);
    send_json(c, json);
    send_json(c, "{\"id\":3,\"startScanning\":{}}");
    if (poll) {
        int errors = 0, added = 0;
        CHECK(poll_until(c, 1, 3, &errors, &added), "scan reply");
        /* wait for the device, unless it came before the reply */
        while (!added) {
            tp_buffer buf;
            int32_t st = tp_client_poll(c, 10000, &buf);
            CHECK(st == TP_OK, "device added (status %d)", st);
            if (st != TP_OK) return;
            added = contains(buf.data, buf.len, "\"deviceAdded\"");
            tp_buffer_free(buf);
        }
        CHECK(errors == 0, "connect errors %d", errors);
    } else {
        pthread_mutex_lock(&s->lock);
        while (s->device_added == 0) pthread_cond_wait(&s->cond, &s->lock);
        CHECK(s->errors == 0, "sink connect errors %d", s->errors);
        pthread_mutex_unlock(&s->lock);
    }
}

int main(int argc, char **argv) {
    int contexts = argc > 1 ? atoi(argv[1]) : 10;
    int clients = argc > 2 ? atoi(argv[2]) : 3;
    int commands = argc > 3 ? atoi(argv[3]) : 200;
    long total_commands = 0;

    for (int k = 0; k < contexts; k++) {
        tp_context *ctx = NULL;
        CHECK(tp_context_new(0, &ctx) == TP_OK, "context %d", k);
        tp_client *cs[16] = {0};
        sink_state states[16];
        int kinds[16];
        for (int i = 0; i < clients && i < 16; i++) {
            kinds[i] = i % 3; /* 0 JSON poll, 1 JSON sink, 2 protobuf poll */
            sink_state *s = &states[i];
            memset(s, 0, sizeof *s);
            pthread_mutex_init(&s->lock, NULL);
            pthread_cond_init(&s->cond, NULL);
            int32_t st;
            if (kinds[i] == 1) {
                /* every other sink client frees itself inside a callback, mid-stream */
                s->free_in_callback = (k % 2 == 0) ? 3 + commands / 2 : 0;
                st = tp_client_new(ctx, TP_FORMAT_JSON, NULL, 0, on_event, s, on_free, &cs[i]);
                s->self = cs[i];
            } else {
                st = tp_client_new(ctx, kinds[i] == 0 ? TP_FORMAT_JSON : TP_FORMAT_PROTOBUF,
                                   (const uint8_t *)"stress", 6, NULL, NULL, NULL, &cs[i]);
            }
            CHECK(st == TP_OK, "client %d/%d", k, i);
        }
        /* connect the JSON clients to their own embedded server with a toy */
        for (int i = 0; i < clients && i < 16; i++) {
            if (kinds[i] != 2) connect_and_find_toy(cs[i], kinds[i] == 0, &states[i], k * 16 + i);
        }
        /* pipeline the commands */
        for (int i = 0; i < clients && i < 16; i++) {
            for (int n = 0; n < commands; n++) {
                unsigned id = 10 + (unsigned)n;
                int32_t st;
                if (kinds[i] == 2) {
                    uint8_t msg[8];
                    size_t len = pb_ping(msg, id);
                    do {
                        st = tp_client_send(cs[i], msg, len);
                    } while (st == TP_ERR_BUSY);
                } else {
                    char json[200];
                    snprintf(json, sizeof json,
                             "{\"id\":%u,\"output\":{\"featureIndex\":0,\"type\":"
                             "\"OUTPUT_TYPE_VIBRATE\",\"steps\":%d}}", id, n % 21);
                    st = send_json(cs[i], json);
                }
                int freed_already = kinds[i] == 1 && states[i].free_in_callback > 0 &&
                                    st == TP_ERR_INVALID_HANDLE;
                CHECK(st == TP_OK || freed_already, "send %d/%d/%d: %d", k, i, n, st);
                total_commands++;
            }
        }
        /* collect the replies */
        for (int i = 0; i < clients && i < 16; i++) {
            unsigned last = 10 + (unsigned)commands - 1;
            if (kinds[i] == 1) {
                sink_state *s = &states[i];
                pthread_mutex_lock(&s->lock);
                int want = s->free_in_callback > 0 ? s->free_in_callback : 3 + commands;
                while (s->replies < want) pthread_cond_wait(&s->cond, &s->lock);
                CHECK(s->errors == 0, "sink errors %d", s->errors);
                pthread_mutex_unlock(&s->lock);
            } else {
                int errors = 0;
                CHECK(poll_until(cs[i], kinds[i] == 0, last, &errors, NULL), "replies %d/%d", k, i);
                /* protobuf pings are not connected: every reply is an error, counted apart */
                if (kinds[i] == 0) CHECK(errors == 0, "poll errors %d", errors);
            }
        }
        /* free one client with nothing pending, then end the context */
        if (clients > 0) tp_client_free(cs[0]);
        tp_client_free(cs[0]); /* double free is a no-op */
        CHECK(tp_client_send(cs[0], NULL, 0) == TP_ERR_INVALID_HANDLE, "freed handle");
        if (k % 2 == 0) {
            CHECK(tp_context_shutdown(ctx, 5000) == TP_OK, "shutdown %d", k);
            for (int i = 1; i < clients && i < 16; i++) tp_client_free(cs[i]);
        }
        tp_context_free(ctx);
        for (int i = 0; i < clients && i < 16; i++) {
            if (kinds[i] == 1) {
                CHECK(states[i].finalized == 1, "finalizer ran %d times", states[i].finalized);
                pthread_mutex_destroy(&states[i].lock);
                pthread_cond_destroy(&states[i].cond);
            }
        }
    }
    printf("stress: %ld commands over %d contexts\n", total_commands, contexts);
    printf("stress: %d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
