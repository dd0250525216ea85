/* ui_files.h - the dashboard's files, compiled in (tools/embed_ui.sh). */
#ifndef FLOWOPT_HTTP_UI_FILES_H
#define FLOWOPT_HTTP_UI_FILES_H

#include <stddef.h>

struct fo_ui_file {
    const char *path;         /* "/ui/app.js" */
    const char *content_type; /* static */
    const unsigned char *data;
    size_t len;
};
extern const struct fo_ui_file fo__ui_files[];
extern const size_t fo__n_ui_files;

#endif
