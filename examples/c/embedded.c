/*
 * Teleplug from C, no protobuf library needed: the JSON encoding of the message schema
 * (proto/teleplug.proto), written by hand.
 *
 * Creates a context, connects a poll-mode client to the embedded server, advertises a
 * simulated Lovense toy, scans until the toy is found, vibrates it, reads its battery, stops
 * it, and shuts down. Every byte the toy receives is printed ("toy received: ...").
 *
 * Build (from the repository root, after `cargo build`):
 *   gcc -std=c11 -Wall -Wextra -Iinclude examples/c/embedded.c -Ltarget/debug -lteleplug \
 *       -Wl,-rpath,$PWD/target/debug -o embedded && ./embedded
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teleplug.h"

static tp_context *ctx;
static tp_client *client;
/* A deviceAdded event that arrived while waiting for a response (events and responses have no
 * fixed order: the toy may be found before the reply to startScanning). */
static char *early_device_added;

static void fail(const char *what, int32_t status) {
    char msg[512];
    size_t n = tp_last_error_message((uint8_t *)msg, sizeof msg - 1);
    msg[n < sizeof msg - 1 ? n : sizeof msg - 1] = '\0';
    fprintf(stderr, "%s failed: %s (%d): %s\n", what, tp_status_string(status), status, msg);
    exit(1);
}

/* The request id of a response (the envelope starts with "id" when it is not 0). */
static unsigned response_id(const char *json) {
    unsigned id = 0;
    if (sscanf(json, "{\"id\":%u", &id) == 1) return id;
    return 0;
}

/* Print what a simulated-device event says the toy received. */
static void print_event(const char *json) {
    const char *op = strstr(json, "\"simulatorOp\"");
    if (op != NULL && strstr(op, "SIMULATOR_OP_KIND_WRITE") != NULL) {
        const char *text = strstr(op, "\"text\":\"");
        if (text != NULL) {
            text += 8;
            const char *end = strchr(text, '"');
            printf("toy received: %.*s\n", (int)(end - text), text);
            return;
        }
    }
    printf("event: %s\n", json);
}

/*
 * Send one request and wait for its response, printing the events that arrive meanwhile.
 * Returns the response (malloc'd, NUL-terminated); exits on an error response.
 */
static char *request(unsigned id, const char *json) {
    int32_t st = tp_client_send(client, (const uint8_t *)json, strlen(json));
    if (st != TP_OK) fail("tp_client_send", st);
    for (;;) {
        tp_buffer buf;
        st = tp_client_poll(client, 10000, &buf);
        if (st != TP_OK) fail("tp_client_poll", st);
        char *text = malloc(buf.len + 1);
        memcpy(text, buf.data, buf.len);
        text[buf.len] = '\0';
        tp_buffer_free(buf);
        if (response_id(text) == id) {
            if (strstr(text, "\"error\"") != NULL) {
                fprintf(stderr, "request %u failed: %s\n", id, text);
                exit(1);
            }
            return text;
        }
        if (early_device_added == NULL && strstr(text, "\"deviceAdded\"") != NULL) {
            early_device_added = text;
            continue;
        }
        print_event(text);
        free(text);
    }
}

/* Wait for an event containing `needle` (printing the others); returns it (malloc'd). */
static char *wait_event(const char *needle) {
    if (early_device_added != NULL && strstr(early_device_added, needle) != NULL) {
        char *text = early_device_added;
        early_device_added = NULL;
        return text;
    }
    for (;;) {
        tp_buffer buf;
        int32_t st = tp_client_poll(client, 10000, &buf);
        if (st != TP_OK) fail("tp_client_poll (waiting for an event)", st);
        char *text = malloc(buf.len + 1);
        memcpy(text, buf.data, buf.len);
        text[buf.len] = '\0';
        tp_buffer_free(buf);
        if (strstr(text, needle) != NULL) return text;
        print_event(text);
        free(text);
    }
}

/* A uint field of a JSON object at `obj` ("{...}"), 0 when absent (proto3 JSON omits 0). */
static unsigned field_u32(const char *obj, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "{\"%s\":", key);
    unsigned v = 0;
    if (strncmp(obj, pattern, strlen(pattern)) == 0) sscanf(obj + strlen(pattern), "%u", &v);
    return v;
}

/* The index of the first feature of `device` that has `input_type`. */
static unsigned feature_with(const char *device, const char *input_type) {
    const char *features = strstr(device, "\"features\":[");
    const char *hit = strstr(device, input_type);
    if (features == NULL || hit == NULL) {
        fprintf(stderr, "no feature with %s\n", input_type);
        exit(1);
    }
    /* The feature object that contains `hit` is the last one opened before it. */
    const char *obj = features + strlen("\"features\":[");
    for (const char *p = obj; p < hit; p++) {
        if (strncmp(p, "},{", 3) == 0) obj = p + 2;
    }
    return field_u32(obj, "index");
}

int main(void) {
    if (tp_abi_version() != TP_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %u\n", tp_abi_version(), TP_ABI_VERSION);
        return 1;
    }
    printf("teleplug %s\n", tp_version_string());

    int32_t st = tp_context_new(0, &ctx);
    if (st != TP_OK) fail("tp_context_new", st);
    const char *name = "C example";
    st = tp_client_new(ctx, TP_FORMAT_JSON, (const uint8_t *)name, strlen(name), NULL, NULL, NULL,
                       &client);
    if (st != TP_OK) fail("tp_client_new", st);

    /* Embedded server, hardware transports off (bluetooth|serial|hid): simulated devices only. */
    free(request(1, "{\"id\":1,\"connect\":{\"embedded\":{\"serverName\":\"C example\","
                    "\"disabledTransports\":7}}}"));
    printf("connected\n");

    free(request(2, "{\"id\":2,\"simulatorAdvertise\":{\"lovense\":{\"address\":"
                    "\"11:22:33:44:55:66\",\"battery\":87},\"observe\":true}}"));
    free(request(3, "{\"id\":3,\"startScanning\":{}}"));
    char *added = wait_event("\"deviceAdded\"");
    const char *device = strstr(added, "\"device\":{") + strlen("\"device\":");
    unsigned index = field_u32(device, "index");
    unsigned battery_feature = feature_with(device, "INPUT_TYPE_BATTERY");
    const char *dname = strstr(device, "\"name\":\"");
    printf("found device %u: %.*s\n", index, dname ? (int)(strchr(dname + 8, '"') - dname - 8) : 0,
           dname ? dname + 8 : "");
    free(added);
    free(request(4, "{\"id\":4,\"stopScanning\":{}}"));

    char json[512];
    printf("vibrate at 50%%\n");
    snprintf(json, sizeof json,
             "{\"id\":5,\"output\":{\"deviceIndex\":%u,\"featureIndex\":0,"
             "\"type\":\"OUTPUT_TYPE_VIBRATE\",\"fraction\":0.5}}",
             index);
    free(request(5, json));

    snprintf(json, sizeof json,
             "{\"id\":6,\"input\":{\"deviceIndex\":%u,\"featureIndex\":%u,"
             "\"type\":\"INPUT_TYPE_BATTERY\",\"command\":\"INPUT_COMMAND_TYPE_READ\"}}",
             index, battery_feature);
    char *reading = request(6, json);
    const char *value = strstr(reading, "\"value\":");
    printf("battery: %d%%\n", value ? atoi(value + 8) : 0);
    free(reading);

    printf("stop\n");
    snprintf(json, sizeof json, "{\"id\":7,\"stop\":{\"deviceIndex\":%u}}", index);
    free(request(7, json));
    free(request(8, "{\"id\":8,\"disconnect\":{}}"));

    st = tp_context_shutdown(ctx, 5000);
    if (st != TP_OK) fail("tp_context_shutdown", st);
    /* Drain what is left (the final "closed" event), until TP_CLOSED. */
    for (;;) {
        tp_buffer buf;
        st = tp_client_poll(client, 1000, &buf);
        if (st == TP_CLOSED) break;
        if (st != TP_OK) fail("tp_client_poll (draining)", st);
        char *text = malloc(buf.len + 1);
        memcpy(text, buf.data, buf.len);
        text[buf.len] = '\0';
        tp_buffer_free(buf);
        print_event(text);
        free(text);
    }
    tp_client_free(client);
    tp_context_free(ctx);
    printf("done\n");
    return 0;
}
