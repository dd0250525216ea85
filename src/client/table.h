/*
 * table.h - how the flowopt client prints a table: rows of cells, then
 * aligned columns (the default, for a person) or tab-separated (--tsv,
 * for a program). Streams of samples (ask) print as they come: one space
 * between cells, or a tab with --tsv.
 */
#ifndef FLOWOPT_CLIENT_TABLE_H
#define FLOWOPT_CLIENT_TABLE_H

#include <stddef.h>

/* --tsv for every table of this process. */
void fo_cli_set_tsv(int on);
int fo_cli_tsv(void);
/* The separator of a streamed row: " ", or "\t" with --tsv. */
const char *fo_cli_sep(void);

struct fo_table {
    char **cells; /* row-major, malloc'd */
    size_t n, cap, cols;
    size_t row; /* cells in the row being filled */
    int failed;
};

/* Add one cell (copied) to the current row; fo_table_end_row closes it. */
void fo_table_cell(struct fo_table *t, const char *text);
void fo_table_end_row(struct fo_table *t);
/* Print every row (the widest row sets the columns) and free the table. */
void fo_table_print(struct fo_table *t);

/* CSV text (RFC 4180 quoting) as a table: printed as print does. */
void fo_table_from_csv(struct fo_table *t, const char *csv);

#endif
