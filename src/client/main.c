/*
 * main.c - flowopt, the command-line client of flowoptd.
 *
 * For now it answers --help and --version and can ask a daemon for its
 * health; ask/tell subcommands for shell loops come with the run API.
 */
#include <flowopt/flowopt.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: flowopt [--url URL] COMMAND\n"
    "\n"
    "  --url URL      daemon base URL (env FLOWOPT_URL, default http://127.0.0.1:8080)\n"
    "  --help         this text\n"
    "  --version      print the version and exit\n"
    "\n"
    "commands:\n"
    "  health         print the daemon's /v1/health answer\n";

static size_t to_stdout(char *data, size_t size, size_t n, void *user) {
    (void)user;
    return fwrite(data, size, n, stdout) * size;
}

/* GET base/path, body to stdout. Returns 0 on a 2xx answer. */
static int get(const char *base, const char *path) {
    char url[2048];
    if ((size_t)snprintf(url, sizeof url, "%s%s", base, path) >= sizeof url) {
        fprintf(stderr, "flowopt: URL too long\n");
        return 1;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        fprintf(stderr, "flowopt: cannot initialise libcurl\n");
        return 1;
    }
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_stdout);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "flowopt: %s: %s\n", url, curl_easy_strerror(rc));
        return 1;
    }
    putchar('\n');
    return status >= 200 && status < 300 ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *base = getenv("FLOWOPT_URL");
    if (!base || !*base)
        base = "http://127.0.0.1:8080";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("flowopt %s\n", FO_VERSION_STRING);
            return 0;
        }
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            base = argv[++i];
            continue;
        }
        fprintf(stderr, "flowopt: unknown option '%s'\n%s", argv[i], usage);
        return 2;
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (strcmp(argv[i], "health") == 0) {
        rc = get(base, "/v1/health");
    } else {
        fprintf(stderr, "flowopt: unknown command '%s'\n%s", argv[i], usage);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
