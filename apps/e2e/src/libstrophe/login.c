/* A libstrophe client (Debian libstrophe-dev, the library under Profanity), built and run by
 * libstrophe.e2e.ts: it logs in over STARTTLS (mandatory) trusting the test CA, fetches its
 * roster and disconnects. From its own debug log it prints "auth <mechanism> <gs2 flag>" for each
 * <auth/> it sends and "failure" for each SASL failure; then "secured <0|1>", "roster <n items>",
 * and it exits 0 when all went well.
 * Usage: login JID PASSWORD HOST PORT CA_FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

static int ok = 0;

static void logger(void *userdata, xmpp_log_level_t level, const char *area, const char *msg) {
    (void)userdata;
    (void)level;
    /* What it sends is logged as "SENT: <auth mechanism="…" …>base64</auth>" in the "conn" area. */
    if (strcmp(area, "conn") == 0 && strncmp(msg, "SENT: <auth ", 12) == 0) {
        const char *m = strstr(msg, "mechanism=\"");
        const char *body = strchr(msg + 12, '>');
        if (m && body) {
            m += strlen("mechanism=\"");
            const char *end = strchr(m, '"');
            /* The first base64 quartet decodes to the gs2 flag: "biws" is "n,,", "eSws" "y,,", "cD1" "p=". */
            if (end) fprintf(stdout, "auth %.*s %.4s\n", (int)(end - m), m, body + 1);
        }
    }
    if (strcmp(area, "xmpp") == 0 && strncmp(msg, "RECV: <failure", 14) == 0) fprintf(stdout, "failure\n");
    fflush(stdout);
}

static int on_roster(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata) {
    (void)userdata;
    xmpp_stanza_t *query = xmpp_stanza_get_child_by_name(stanza, "query");
    int n = 0;
    for (xmpp_stanza_t *item = query ? xmpp_stanza_get_children(query) : NULL; item; item = xmpp_stanza_get_next(item)) n++;
    printf("roster %d\n", n);
    fflush(stdout);
    ok = strcmp(xmpp_stanza_get_type(stanza), "result") == 0;
    xmpp_disconnect(conn);
    return 0;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t status, int error, xmpp_stream_error_t *stream_error, void *userdata) {
    xmpp_ctx_t *ctx = userdata;
    (void)error;
    (void)stream_error;
    if (status == XMPP_CONN_CONNECT) {
        printf("secured %d\n", xmpp_conn_is_secured(conn));
        fflush(stdout);
        xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", "roster1");
        xmpp_stanza_t *query = xmpp_stanza_new(ctx);
        xmpp_stanza_set_name(query, "query");
        xmpp_stanza_set_ns(query, "jabber:iq:roster");
        xmpp_stanza_add_child(iq, query);
        xmpp_stanza_release(query);
        xmpp_id_handler_add(conn, on_roster, "roster1", ctx);
        xmpp_send(conn, iq);
        xmpp_stanza_release(iq);
    } else {
        xmpp_stop(ctx);
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s JID PASSWORD HOST PORT CA_FILE\n", argv[0]);
        return 2;
    }
    xmpp_initialize();
    xmpp_log_t log = {logger, NULL};
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, &log);
    xmpp_conn_t *conn = xmpp_conn_new(ctx);
    xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_MANDATORY_TLS);
    xmpp_conn_set_jid(conn, argv[1]);
    xmpp_conn_set_pass(conn, argv[2]);
    xmpp_conn_set_cafile(conn, argv[5]);
    if (xmpp_connect_client(conn, argv[3], (unsigned short)atoi(argv[4]), on_conn, ctx) != XMPP_EOK) return 3;
    xmpp_run(ctx);
    xmpp_conn_release(conn);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return ok ? 0 : 1;
}
