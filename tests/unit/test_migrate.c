/* test_migrate.c - the migration runner, the store's PRAGMAs and its WAL. */
#include "store/migrate.h"
#include "store/runs_db.h"
#include "store/txn.h"
#include "store/store.h"
#include "store/wal.h"
#include "tap.h"
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char dir[512];

static void db_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
}

static long long query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void query_text(sqlite3 *db, const char *sql, char *out, size_t cap) {
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static void test_fresh_and_again(void) {
    char path[600];
    db_path(path, sizeof path, "fresh.db");
    struct fo_store_config cfg = {.path = path, .create = 1};
    struct fo_store *s = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_store_open(&cfg, &s, &err), FO_OK, "fresh database opens (%s)",
               err.msg);
    tap_is_int(fo_store_schema_version(s), (long long)fo__n_migrations,
               "fresh database is at the last embedded migration");
    fo_store_close(s);

    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM schema_migrations"),
               (long long)fo__n_migrations, "one schema_migrations row per migration");
    char journal[32], before[256], after[256];
    query_text(db, "PRAGMA journal_mode", journal, sizeof journal);
    tap_is_str(journal, "wal", "database is in WAL mode");
    query_text(
        db,
        "SELECT group_concat(version || name || applied_at, ';') FROM schema_migrations",
        before, sizeof before);
    long long objects = query_int(db, "SELECT COUNT(*) FROM sqlite_master");
    sqlite3_close(db);

    tap_is_int(fo_store_open(&cfg, &s, &err), FO_OK, "reopening succeeds");
    tap_is_int(fo_store_schema_version(s), (long long)fo__n_migrations,
               "version unchanged");
    fo_store_close(s);
    sqlite3_open(path, &db);
    query_text(
        db,
        "SELECT group_concat(version || name || applied_at, ';') FROM schema_migrations",
        after, sizeof after);
    tap_is_str(after, before, "running again records nothing new");
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM sqlite_master"), objects,
               "running again creates no schema object");
    sqlite3_close(db);
}

static const struct fo_migration three[] = {
    {1, "a", "CREATE TABLE a (x INTEGER);"},
    {2, "b", "CREATE TABLE b (x INTEGER REFERENCES a(x)); INSERT INTO a VALUES (1);"},
    {3, "c", "CREATE TABLE c (x INTEGER);"},
};

static const struct fo_migration broken[] = {
    {1, "a", "CREATE TABLE a (x INTEGER);"},
    {2, "b", "CREATE TABLE b (x INTEGER); SELECT * FROM no_such_table;"},
    {3, "c", "CREATE TABLE c (x INTEGER);"},
};

static void test_lists(void) {
    char path[600];
    struct fo_error err = {0};
    int version = -1;
    sqlite3 *db = NULL;

    db_path(path, sizeof path, "three.db");
    sqlite3_open(path, &db);
    tap_is_int(fo_migrate_apply(db, three, 2, &version, &err), FO_OK,
               "first two of three");
    tap_is_int(version, 2, "version 2 after two migrations");
    tap_is_int(fo_migrate_apply(db, three, 3, &version, &err), FO_OK, "then all three");
    tap_is_int(version, 3, "version 3: only the new one ran");
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM a"), 1,
               "migration 2 ran exactly once");
    sqlite3_close(db);

    db_path(path, sizeof path, "broken.db");
    sqlite3_open(path, &db);
    enum fo_status st = fo_migrate_apply(db, broken, 3, &version, &err);
    tap_is_int(st, FO_EIO, "a failing migration is an error");
    tap_ok(strstr(err.msg, "0002_b") != NULL, "the error names the migration: %s",
           err.msg);
    int current = -1;
    fo_migrate_current(db, &current, &err);
    tap_is_int(current, 1, "the migrations before it stay applied");
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 0,
               "the failing migration left nothing behind");
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'"), 0,
               "later migrations did not run");
    sqlite3_close(db);
}

static void test_newer_schema(void) {
    char path[600];
    db_path(path, sizeof path, "newer.db");
    struct fo_store_config cfg = {.path = path, .create = 1};
    struct fo_store *s = NULL;
    struct fo_error err = {0};
    fo_store_open(&cfg, &s, &err);
    fo_store_close(s);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_exec(db,
                 "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')",
                 NULL, NULL, NULL);
    long long objects = query_int(db, "SELECT COUNT(*) FROM sqlite_master");
    sqlite3_close(db);

    s = NULL;
    tap_is_int(fo_store_open(&cfg, &s, &err), FO_ESCHEMA, "a newer schema is refused");
    tap_ok(s == NULL, "nothing is returned for a refused database");
    tap_ok(strstr(err.msg, "9999") && strstr(err.msg, "newer"),
           "the message says why: %s", err.msg);
    sqlite3_open(path, &db);
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM sqlite_master"), objects,
               "the refused database is not changed");
    sqlite3_close(db);
}

static void test_bad_path(void) {
    char path[600];
    db_path(path, sizeof path, "no/such/dir/x.db");
    struct fo_store_config cfg = {.path = path, .create = 1};
    struct fo_store *s = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_store_open(&cfg, &s, &err), FO_EIO,
               "an unopenable path is an I/O error");
    tap_ok(strstr(err.msg, "no/such/dir") != NULL, "the message names the path: %s",
           err.msg);
    struct fo_store_config empty = {.path = ""};
    tap_is_int(fo_store_open(&empty, &s, &err), FO_EINVAL, "an empty path is refused");
}

/* 0004 moves each run's snapshot out of the runs row, keeping every byte. */
static void test_snapshots_move(void) {
    char path[600], text[64];
    struct fo_error err = {0};
    int version = -1;
    sqlite3 *db = NULL;
    db_path(path, sizeof path, "v3.db");
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    tap_is_int(fo_migrate_apply(db, fo__migrations, 3, &version, &err), FO_OK,
               "a version-3 database");
    tap_is_int(
        sqlite3_exec(db,
                     "INSERT INTO runs (id, dim, snapshot, snapshot_seq, next_seq)"
                     " VALUES ('r1', 2, x'00ff10', 7, 9);"
                     "INSERT INTO ops (run_id, seq, kind) VALUES ('r1', 8, 1);"
                     "INSERT INTO samples (run_id, id, generation, x, log_prob,"
                     " status, value) VALUES ('r1', 3, 1, x'01', -1.5, 'told', 2.5);",
                     NULL, NULL, NULL),
        SQLITE_OK, "holding a run with a snapshot, an op and a sample");
    tap_is_int(fo_migrate_apply(db, fo__migrations, fo__n_migrations, &version, &err),
               FO_OK, "migrates to the current schema");
    query_text(db,
               "SELECT hex(data) || ' ' || seq FROM run_snapshots WHERE run_id = 'r1'",
               text, sizeof text);
    tap_is_str(text, "00FF10 7", "the snapshot and its seq moved to run_snapshots");
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM pragma_table_info('runs')"
                             " WHERE name LIKE 'snapshot%'"),
               0, "runs has no snapshot columns left");
    tap_is_int(query_int(db, "SELECT next_seq FROM runs WHERE id = 'r1'"), 9,
               "the run's op counter is kept");
    query_text(
        db,
        "SELECT status || ' ' || value || ' ' || log_prob || ' ' || hex(x) || ' ' ||"
        " (SELECT kind FROM ops WHERE seq = 8) FROM samples WHERE id = 3",
        text, sizeof text);
    tap_is_str(text, "told 2.5 -1.5 01 1",
               "samples and ops survive their rebuild (0005)");
    tap_ok(sqlite3_exec(db, "UPDATE samples SET status = 'bogus'", NULL, NULL, NULL) ==
                   SQLITE_CONSTRAINT &&
               sqlite3_exec(db, "INSERT INTO ops (run_id, seq, kind) VALUES ('r1', 9, 9)",
                            NULL, NULL, NULL) == SQLITE_CONSTRAINT,
           "and their CHECK constraints still refuse a bad status or op kind");
    sqlite3_exec(db, "DELETE FROM runs WHERE id = 'r1'", NULL, NULL, NULL);
    tap_is_int(query_int(db, "SELECT COUNT(*) FROM run_snapshots") +
                   query_int(db, "SELECT COUNT(*) FROM ops"),
               0, "deleting the run still deletes its snapshot and ops");
    sqlite3_close(db);
}

/* 0012 rebuilds samples and ops for the status lost and the op kind 5,
 * keeping every column 0009 and 0011 added. */
static void test_lost_rebuild(void) {
    char path[600], text[128];
    struct fo_error err = {0};
    int version = -1;
    sqlite3 *db = NULL;
    db_path(path, sizeof path, "v11.db");
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    tap_is_int(fo_migrate_apply(db, fo__migrations, 11, &version, &err), FO_OK,
               "a version-11 database");
    tap_is_int(
        sqlite3_exec(db,
                     "INSERT INTO runs (id, dim, next_seq) VALUES ('r1', 1, 3);"
                     "INSERT INTO ops (run_id, seq, kind, sample_id, value, stderr)"
                     " VALUES ('r1', 2, 2, 4, 1.5, 0.25);"
                     "INSERT INTO samples (run_id, id, generation, x, log_prob, status,"
                     " value, stderr, shots) VALUES ('r1', 4, 0, x'02', -2, 'told', 1.5,"
                     " 0.25, 4000);",
                     NULL, NULL, NULL),
        SQLITE_OK, "holding a told sample with its error bar and its op");
    tap_is_int(fo_migrate_apply(db, fo__migrations, fo__n_migrations, &version, &err),
               FO_OK, "migrates to the current schema");
    query_text(db,
               "SELECT status || ' ' || value || ' ' || stderr || ' ' || shots || ' ' ||"
               " (SELECT kind || ' ' || stderr FROM ops WHERE seq = 2) ||"
               " ' ' || coalesce(reissue_of, 'none') FROM samples WHERE id = 4",
               text, sizeof text);
    tap_is_str(text, "told 1.5 0.25 4000 2 0.25 none", "every column survives 0012");
    tap_ok(sqlite3_exec(
               db,
               "INSERT INTO samples (run_id, id, generation, x, log_prob, status,"
               " reissue_of) VALUES ('r1', 5, 0, x'02', -2, 'lost', NULL);"
               "INSERT INTO samples (run_id, id, generation, x, log_prob,"
               " reissue_of) VALUES ('r1', 6, 0, x'02', -2, 5);"
               "INSERT INTO ops (run_id, seq, kind, sample_id) VALUES ('r1', 3, 5, 5)",
               NULL, NULL, NULL) == SQLITE_OK,
           "and a lost sample, its re-issue and a lost op are now accepted");
    tap_is_int(sqlite3_exec(db,
                            "INSERT INTO steps (run_id, step, generation, evaluations, n,"
                            " best, refined) VALUES ('r1', 1, 0, 6, 6, 0.5, 2)",
                            NULL, NULL, NULL),
               SQLITE_OK, "a history row as 0012 knew it");
    query_text(db, "SELECT best || ' ' || refined || ' ' || failed FROM steps", text,
               sizeof text);
    tap_is_str(text, "0.5 2 0", "reads back with failed 0 (0013)");
    tap_is_int(sqlite3_exec(db,
                            "INSERT INTO ops (run_id, seq, kind, sample_id, value, cost)"
                            " VALUES ('r1', 4, 6, 6, 0.5, NULL)",
                            NULL, NULL, NULL),
               SQLITE_OK, "an observation's op, kind 6, is accepted (0016)");
    query_text(db,
               "SELECT group_concat(kind || ':' || sample_id || ':' ||"
               " coalesce(stderr, '-'), ' ') FROM ops ORDER BY seq",
               text, sizeof text);
    tap_is_str(text, "2:4:0.25 5:5:- 6:6:-", "every op survives the rebuild of 0016");
    query_text(db, "SELECT group_concat(origin, ' ') FROM samples ORDER BY id", text,
               sizeof text);
    tap_is_str(text, "asked asked asked", "and the samples before it were asked");
    tap_ok(sqlite3_exec(db,
                        "UPDATE runs SET evaluator = '{\"url\": \"u\"}' WHERE id = 'r1'",
                        NULL, NULL, NULL) == SQLITE_OK &&
               query_int(db, "SELECT COUNT(*) FROM runs WHERE evaluator IS NULL") == 0,
           "a run may hold an evaluator (0018)");
    sqlite3_close(db);
}

static int on_run_len(void *ctx, const char *id, const char *name, const char *state,
                      const unsigned char *snapshot, size_t len, int64_t seq,
                      int64_t next_seq) {
    (void)id, (void)name, (void)state, (void)seq, (void)next_seq;
    size_t *out = ctx;
    *out = len && snapshot[len - 1] == 0x5a ? len : 0;
    return 0;
}

static int on_op_ignore(void *ctx, const char *id, const struct fo_op *op) {
    (void)ctx, (void)id, (void)op;
    return 0;
}

/* Checkpoints run in the background once the WAL passes its threshold, and
 * the WAL file is not left to grow with every write. */
static int checkpointed(void *ctx) {
    struct fo_store_stats st = {0};
    fo_store_stats(ctx, &st);
    return st.checkpoints > 0;
}

static void test_wal_checkpoints(void) {
    char path[600], wal[620];
    db_path(path, sizeof path, "wal.db");
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct fo_store_config cfg = {
        .path = path, .create = 1, .durability = FO_DURABILITY_FULL};
    struct fo_store *s = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_store_open(&cfg, &s, &err), FO_OK, "a store with durability full");
    if (!s)
        return;
    enum { MB = 1 << 20, WRITES = 40 };
    unsigned char *blob = malloc(MB);
    memset(blob, 0x5a, MB);
    int ok = fo_store_begin(s, &err) == FO_OK &&
             fo_store_run_insert(s, "r1", "", 2, blob, 16, &err) == FO_OK &&
             fo_store_commit(s, &err) == FO_OK;
    for (int i = 0; ok && i < WRITES; i++) {
        memset(blob, i, MB - 1); /* every page changes: SQLite skips equal ones */
        ok = fo_store_begin(s, &err) == FO_OK &&
             fo_store_run_snapshot(s, "r1", blob, MB, -1, &err) == FO_OK &&
             fo_store_commit(s, &err) == FO_OK;
    }
    tap_ok(ok, "%d commits of a 1 MB snapshot (%s)", WRITES, ok ? "ok" : err.msg);
    struct fo_store_stats st = {0};
    fo_test_wait_for(checkpointed, s, 10000);
    fo_store_stats(s, &st);
    tap_is_int((long long)st.commits, WRITES + 1, "the store counts its commits");
    tap_ok(st.checkpoints > 0, "the checkpointer ran (%llu times)", st.checkpoints);
    tap_ok(st.syncs >= 1 && st.syncs <= st.commits,
           "durability full synced the WAL (%llu syncs)", st.syncs);
    struct stat sb;
    long long wal_mb = stat(wal, &sb) == 0 ? (long long)(sb.st_size / MB) : -1;
    /* bound: the inline threshold (16 MB of pages) plus one commit */
    tap_ok(wal_mb >= 0 && wal_mb <= 4 * FO_WAL_CHECKPOINT_PAGES * 4096 / MB + 2,
           "the WAL stays bounded under sustained writes (%lld MB after %d MB written)",
           wal_mb, WRITES);
    fo_store_close(s);
    s = NULL;
    size_t len = 0;
    ok = fo_store_open(&cfg, &s, &err) == FO_OK &&
         fo_store_runs_load(s, on_run_len, on_op_ignore, &len, &err) == FO_OK;
    tap_ok(ok && len == MB, "reopened, the last snapshot is whole (%zu bytes)", len);
    fo_store_close(s);
    free(blob);
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    TAP_RUN(test_fresh_and_again);
    TAP_RUN(test_lists);
    TAP_RUN(test_newer_schema);
    TAP_RUN(test_snapshots_move);
    TAP_RUN(test_lost_rebuild);
    TAP_RUN(test_wal_checkpoints);
    TAP_RUN(test_bad_path);
    fo_test_rmdir(dir);
    return tap_done();
}
