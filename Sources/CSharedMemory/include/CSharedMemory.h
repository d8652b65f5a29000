// C shim: memfd_create(2), which Swift's Glibc module does not expose
// (glibc declares it only under _GNU_SOURCE).
#ifndef MACHAT_CSHAREDMEMORY_H
#define MACHAT_CSHAREDMEMORY_H

/// An anonymous, close-on-exec memory file for the metrics region, or -1
/// with errno set.
int csharedmemory_memfd_create(const char *name);

#endif
