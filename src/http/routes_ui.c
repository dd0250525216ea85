/*
 * routes_ui.c - the dashboard: GET / is its page, GET /ui/NAME its script
 * and style, all compiled into the daemon (ui/, tools/embed_ui.sh). They
 * hold no data and need no token; the page asks for one when the JSON
 * routes want it, and sends it as a Bearer header.
 */
#include "http/router.h"
#include "http/routes_common.h"
#include "http/ui_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void serve(struct fo_http_reply *rep, const char *path) {
    for (size_t i = 0; i < fo__n_ui_files; i++) {
        const struct fo_ui_file *f = &fo__ui_files[i];
        if (strcmp(f->path, path) != 0)
            continue;
        rep->body = malloc(f->len ? f->len : 1);
        if (!rep->body) {
            fo_reply_problem(rep, 503, "out of memory", NULL, "cannot serve the page");
            return;
        }
        memcpy(rep->body, f->data, f->len);
        rep->body_len = f->len;
        rep->status = 200;
        rep->content_type = f->content_type;
        return;
    }
    fo_reply_problem(rep, 404, "not found", "path", "no such file of the dashboard");
}

static void page(const struct fo_http_request *req, struct fo_http_reply *rep) {
    (void)req;
    serve(rep, "/ui/index.html");
}

static void file(const struct fo_http_request *req, struct fo_http_reply *rep) {
    char path[160];
    if ((size_t)snprintf(path, sizeof path, "/ui/%s", req->params[0]) >= sizeof path)
        path[0] = '\0'; /* no file has so long a name */
    serve(rep, path);
}

const struct fo_route fo__ui_routes[] = {
    {"GET", "/", 0, page, NULL, NULL},
    {"GET", "/ui/{name}", 0, file, NULL, NULL},
};
const size_t fo__n_ui_routes = sizeof fo__ui_routes / sizeof fo__ui_routes[0];
