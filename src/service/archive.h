/*
 * archive.h - an exported checkpoint with what its samples were told: the
 * engine's snapshot and, for every resolved sample it had asked, the
 * result as the store holds it (value, status, stderr, shots, cost,
 * metadata, metrics, client, origin), so a run moved to another daemon
 * keeps its lab's record. The container, little-endian:
 *   "FOEX", u32 version (1), u64 snapshot length, the snapshot,
 *   u64 rows, per row: u64 id, generation, reissue_of; f64 log_prob,
 *   value, stderr, cost; i64 shots; u8 status (the record status), u8
 *   origin (1: observed); the x (dim f64); the texts error, client_id,
 *   metadata, metrics (u32 length, 0xffffffff for none, then the bytes);
 *   u32 CRC-32 of everything before it.
 * Import takes these, or the bare snapshot an older export was.
 */
#ifndef FLOWOPT_SERVICE_ARCHIVE_H
#define FLOWOPT_SERVICE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "service/runs.h"

/* The export of checkpoint cid. OUT: *bytes (malloc'd, the caller frees). */
enum fo_status fo_service_export(struct fo_service *svc, const char *id, uint64_t cid,
                                 unsigned char **bytes, size_t *len,
                                 struct fo_error *err);

/* Whether bytes are an archive (else a bare snapshot). */
int fo__archive_is(const unsigned char *bytes, size_t len);

/*
 * Split an archive (untrusted: every length and field checked) into its
 * snapshot (borrowed from bytes) and record its rows for run new_id, after
 * the run exists. fo__archive_snapshot only finds the snapshot.
 */
enum fo_status fo__archive_snapshot(const unsigned char *bytes, size_t len,
                                    const unsigned char **snap, size_t *snap_len,
                                    struct fo_error *err);
enum fo_status fo__archive_rows(struct fo_service *svc, const char *new_id,
                                const unsigned char *bytes, size_t len,
                                struct fo_error *err);

#endif
