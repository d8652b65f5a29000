// System-library shim: the system's SQLite (libsqlite3, from libsqlite3-dev),
// plus what its header offers only as macros Swift cannot import.
#ifndef MACHAT_CSQLITE_H
#define MACHAT_CSQLITE_H

#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift does
/// not import: SQLite copies the bytes bound with it before the call returns.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

/// SQLITE_STATIC (a null destructor): SQLite uses the bound bytes in place,
/// so they must stay valid until the statement is stepped and reset.
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }

#endif
