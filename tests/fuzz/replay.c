/*
 * replay.c - a fuzz target without libFuzzer, for `make test`: every file
 * of its corpus (tests/fuzz/corpus/NAME) and its regressions (inputs that
 * once crashed it, tests/fuzz/regressions/NAME) is fed to it once under
 * the sanitizers. TAP: one line per folder.
 */
#include "fuzz.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        unsigned char *buf = malloc(1 << 20);
        size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
        fclose(f);
        if (buf)
            LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

int main(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", FO_TEST_SOURCE_DIR,
             fo_fuzz_name);
    size_t seeds = replay_dir(dir);
    tap_ok(seeds > 0, "%s: its %zu seeds run clean under ASan and UBSan", fo_fuzz_name,
           seeds);
    snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", FO_TEST_SOURCE_DIR,
             fo_fuzz_name);
    size_t fixed = replay_dir(dir);
    printf("# %s: %zu inputs that once crashed it ran clean\n", fo_fuzz_name, fixed);
    return tap_done();
}
