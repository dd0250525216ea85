/* table.c - the client's tables; see table.h. */
#include "client/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tsv;

void fo_cli_set_tsv(int on) {
    tsv = on;
}

int fo_cli_tsv(void) {
    return tsv;
}

const char *fo_cli_sep(void) {
    return tsv ? "\t" : " ";
}

/* Room for one more cell (or row end); -1 (failed set) when none. */
static int grow(struct fo_table *t) {
    if (t->n < t->cap)
        return 0;
    size_t cap = t->cap ? 2 * t->cap : 64;
    char **c = realloc(t->cells, cap * sizeof *c);
    if (!c) {
        t->failed = 1;
        return -1;
    }
    t->cells = c;
    t->cap = cap;
    return 0;
}

void fo_table_cell(struct fo_table *t, const char *text) {
    if (t->failed)
        return;
    if (grow(t) != 0)
        return;
    char *copy = strdup(text ? text : "");
    if (!copy) {
        t->failed = 1;
        return;
    }
    t->cells[t->n++] = copy;
    t->row++;
}

/* Rows end with a NULL cell. */
void fo_table_end_row(struct fo_table *t) {
    if (t->row > t->cols)
        t->cols = t->row;
    t->row = 0;
    if (t->failed)
        return;
    if (grow(t) != 0)
        return;
    t->cells[t->n++] = NULL;
}

void fo_table_print(struct fo_table *t) {
    size_t *width = calloc(t->cols ? t->cols : 1, sizeof *width);
    for (size_t i = 0, col = 0; width && i < t->n; i++) {
        if (!t->cells[i]) {
            col = 0;
            continue;
        }
        size_t len = strlen(t->cells[i]);
        if (len > width[col])
            width[col] = len;
        col++;
    }
    for (size_t i = 0, col = 0; i < t->n; i++) {
        if (!t->cells[i]) {
            putchar('\n');
            col = 0;
            continue;
        }
        int last = i + 1 >= t->n || !t->cells[i + 1];
        if (col)
            fputs(tsv ? "\t" : "  ", stdout);
        if (tsv || last || !width)
            fputs(t->cells[i], stdout);
        else
            printf("%-*s", (int)width[col], t->cells[i]);
        col++;
        free(t->cells[i]);
    }
    free(width);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void fo_table_from_csv(struct fo_table *t, const char *csv) {
    char *cell = malloc(strlen(csv) + 1);
    if (!cell) {
        t->failed = 1;
        return;
    }
    size_t k = 0;
    int quoted = 0, any = 0;
    for (const char *p = csv; *p; p++) {
        char c = *p;
        if (quoted) {
            if (c == '"' && p[1] == '"') {
                cell[k++] = '"';
                p++;
            } else if (c == '"') {
                quoted = 0;
            } else {
                cell[k++] = c == '\t' || c == '\n' ? ' ' : c; /* one cell, one line */
            }
            continue;
        }
        if (c == '"') {
            quoted = 1;
            any = 1;
        } else if (c == ',' || c == '\n') {
            cell[k] = '\0';
            fo_table_cell(t, cell);
            k = 0;
            any = 0;
            if (c == '\n')
                fo_table_end_row(t);
        } else if (c != '\r') {
            cell[k++] = c;
            any = 1;
        }
    }
    if (k || any) {
        cell[k] = '\0';
        fo_table_cell(t, cell);
        fo_table_end_row(t);
    }
    free(cell);
}
