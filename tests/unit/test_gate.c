/* test_gate.c - the request gate's rules: Host, Origin, media type, path. */
#include "http/gate.h"
#include "tap.h"

#include <string.h>

static void test_hosts(void) {
    struct fo_gate none = {NULL, NULL},
                   named = {"flowopt.lab.example, other.example", NULL},
                   any = {"*", NULL};
    static const char *const served[] = {
        "127.0.0.1", "127.0.0.1:8080", "10.1.2.3:80", "[::1]:8080",  "[::1]",
        "localhost", "LOCALHOST:8080", "a.localhost", "localhost.:1"};
    for (size_t i = 0; i < sizeof served / sizeof served[0]; i++)
        tap_ok(fo_gate_host_ok(&none, served[i]), "Host %s is served by default",
               served[i]);
    static const char *const refused[] = {"evil.example",
                                          "evil.example:8080",
                                          "127.0.0.1.evil.example",
                                          "localhost.evil",
                                          "notlocalhost",
                                          "[::1",
                                          "",
                                          ":8080",
                                          "[::1]x"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        tap_ok(!fo_gate_host_ok(&none, refused[i]), "Host '%s' is not", refused[i]);
    tap_ok(!fo_gate_host_ok(&none, NULL), "no Host is not");
    tap_ok(fo_gate_host_ok(&named, "flowopt.lab.example:443") &&
               fo_gate_host_ok(&named, "OTHER.example"),
           "--allowed-hosts names are served, with a port, in any case");
    tap_ok(!fo_gate_host_ok(&named, "lab.example") &&
               !fo_gate_host_ok(&named, "x.flowopt.lab.example"),
           "but not their parents or children");
    tap_ok(fo_gate_host_ok(&any, "anything.example"), "'*' serves any name");
}

static void test_origins(void) {
    struct fo_gate g = {NULL, "https://lab.example, http://10.0.0.5:3000"};
    tap_is_int(fo_gate_origin(&g, NULL, "127.0.0.1:8080"), FO_ORIGIN_NONE,
               "no Origin: not a browser's cross-site call");
    tap_is_int(fo_gate_origin(&g, "http://127.0.0.1:8080", "127.0.0.1:8080"),
               FO_ORIGIN_SAME, "the daemon's own page is the same origin");
    tap_is_int(fo_gate_origin(&g, "https://flowopt.example", "flowopt.example"),
               FO_ORIGIN_SAME, "also behind a TLS proxy that passes Host");
    tap_is_int(fo_gate_origin(&g, "http://127.0.0.1:9999", "127.0.0.1:8080"),
               FO_ORIGIN_DENIED, "another port is another origin");
    tap_is_int(fo_gate_origin(&g, "https://lab.example", "127.0.0.1:8080"),
               FO_ORIGIN_ALLOWED, "a configured origin is allowed");
    tap_is_int(fo_gate_origin(&g, "http://10.0.0.5:3000", "127.0.0.1:8080"),
               FO_ORIGIN_ALLOWED, "so is the second");
    tap_is_int(fo_gate_origin(&g, "https://lab.example.evil", "127.0.0.1:8080"),
               FO_ORIGIN_DENIED, "a longer name is not");
    tap_is_int(fo_gate_origin(&g, "null", "127.0.0.1:8080"), FO_ORIGIN_DENIED,
               "Origin: null (a sandboxed or file page) is refused");
    struct fo_gate star = {NULL, "*"};
    tap_is_int(fo_gate_origin(&star, "https://any.example", "127.0.0.1:8080"),
               FO_ORIGIN_DENIED, "'*' is no wildcard for origins: each is named");
}

static void test_types(void) {
    tap_ok(fo_gate_type_is("application/json", "application/json"), "exact type");
    tap_ok(fo_gate_type_is(" Application/JSON ; charset=utf-8", "application/json"),
           "case, blanks and parameters ignored");
    tap_ok(!fo_gate_type_is("text/plain", "application/json"), "text/plain is not");
    tap_ok(!fo_gate_type_is("application/json-seq", "application/json"),
           "nor a longer type");
    tap_ok(!fo_gate_type_is(NULL, "application/json"), "nor none");
}

static void test_paths(void) {
    char s[64];
    strcpy(s, "/v1/runs/a%2Fb%41%zz%4");
    size_t n = fo_gate_unescape(s);
    tap_is_int((long)n, (long)strlen(s), "unescape returns the new length");
    tap_is_str(s, "/v1/runs/a/bA%zz%4", "escapes decoded, malformed ones kept");
    strcpy(s, "/v1/runs/x%00junk");
    fo_gate_unescape(s);
    tap_is_str(s, "/v1/runs/x%00junk", "%%00 stays undecoded");
    tap_ok(!fo_gate_path_ok(s), "and the path is refused");
    static const char *const good[] = {"/", "/v1/runs", "/v1/runs/", "/ui/app.js",
                                       "/v1/runs/a.b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        tap_ok(fo_gate_path_ok(good[i]), "%s is canonical", good[i]);
    static const char *const bad[] = {"v1/runs",       "/v1//runs",   "/v1/./runs",
                                      "/v1/runs/../x", "/v1/runs/..", "/v1/runs/.",
                                      "/v1/runs\x01",  "//",          ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        tap_ok(!fo_gate_path_ok(bad[i]), "'%s' is not", bad[i]);
}

int main(void) {
    test_hosts();
    test_origins();
    test_types();
    test_paths();
    return tap_done();
}
