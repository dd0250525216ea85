/* test_text.c - the text buffer and the shortest round-trip double format. */
#include "util/text.h"
#include "tap.h"

#include <flowopt/rng.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_format_double(void) {
    char buf[FO_DOUBLE_CHARS];
    tap_is_str(fo_format_double(buf, 0.1), "0.1", "0.1 prints as 0.1");
    tap_is_str(fo_format_double(buf, 9.5057), "9.5057", "9.5057, not 9.5056999999999992");
    tap_is_str(fo_format_double(buf, -4.75), "-4.75", "a short negative");
    tap_is_str(fo_format_double(buf, 1e-300), "1e-300", "a tiny one");
    struct fo_rng rng;
    fo_rng_seed(&rng, 7);
    int exact = 1;
    size_t longest = 0;
    for (int i = 0; i < 200000; i++) {
        double v = fo_rng_normal(&rng) * pow(10.0, (double)(i % 600) - 300.0);
        fo_format_double(buf, v);
        exact &= strtod(buf, NULL) == v;
        longest = strlen(buf) > longest ? strlen(buf) : longest;
    }
    double edges[] = {DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 1.0 / 3.0, 2.0 / 3.0};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        exact &= strtod(fo_format_double(buf, edges[i]), NULL) == edges[i];
    tap_ok(exact, "200,000 random doubles and the edges read back bit for bit");
    /* "-1.2345678901234567e-308" is the longest %.17g form: 24 characters;
     * a longer one would mean the buffer truncated it */
    tap_ok(longest <= 24, "and take at most 24 characters (%zu here)", longest);
}

static void test_shorten_json(void) {
    char json[] = "{\"a\":0.29999999999999999,\"b\":\"0.29999999999999999\","
                  "\"c\":[2.0,1.0000000000000001e-05,-0.0,12345678901234567890,3],"
                  "\"d\":\"q\\\"0.10000000000000001\",\"e\":0.10000000000000001}";
    size_t n = fo_json_shorten_reals(json);
    tap_is_str(json,
               "{\"a\":0.3,\"b\":\"0.29999999999999999\",\"c\":[2.0,1e-05,-0.0,"
               "12345678901234567890,3],\"d\":\"q\\\"0.10000000000000001\",\"e\":0.1}",
               "JSON reals shortened; strings (with escapes) and integers untouched");
    tap_ok(n == strlen(json), "and the new length is returned");
    struct fo_rng rng;
    fo_rng_seed(&rng, 11);
    struct fo_text t = {0};
    double v[5000];
    fo_text_printf(&t, "[");
    for (int i = 0; i < 5000; i++) {
        v[i] = fo_rng_normal(&rng) * pow(10.0, (double)(i % 40) - 20.0);
        fo_text_printf(&t, "%s%.17g", i ? "," : "", v[i]);
    }
    fo_text_printf(&t, "]");
    size_t before = t.len;
    fo_json_shorten_reals(t.p);
    int exact = 1, i = 0;
    for (char *p = t.p + 1; *p && i < 5000; i++) {
        char *end;
        exact &= strtod(p, &end) == v[i];
        p = end + 1;
    }
    tap_ok(exact && i == 5000 && strlen(t.p) <= before,
           "5,000 random reals read back bit for bit after shortening");
    free(t.p);
}

static void test_text(void) {
    struct fo_text t = {0};
    for (int i = 0; i < 10000; i++)
        fo_text_printf(&t, "%d,", i);
    tap_ok(!t.failed && t.len == strlen(t.p) && strncmp(t.p, "0,1,2,", 6) == 0 &&
               strcmp(t.p + t.len - 5, "9999,") == 0,
           "the buffer grows through 10,000 appends (%zu bytes)", t.len);
    free(t.p);
}

int main(void) {
    TAP_RUN(test_format_double);
    TAP_RUN(test_shorten_json);
    TAP_RUN(test_text);
    return tap_done();
}
