// memfd_create needs _GNU_SOURCE, kept out of the header so Swift's view of
// the system headers is unchanged.
#define _GNU_SOURCE
#include <sys/mman.h>
#include "CSharedMemory.h"

int csharedmemory_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}
