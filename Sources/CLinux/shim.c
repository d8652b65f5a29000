// Implementations that need _GNU_SOURCE, kept out of the header so Swift's
// view of the system headers is unchanged.
#define _GNU_SOURCE
#include <sched.h>
#include <sys/socket.h>
#include "CLinux.h"

long clinux_peer_uid(int fd, int *pid_out) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    if (pid_out) *pid_out = cred.pid;
    return (long)cred.uid;
}

int clinux_accept4(int fd, int flags) {
    return accept4(fd, NULL, NULL, flags);
}

int clinux_sched_batch(void) {
    struct sched_param param = {.sched_priority = 0};
    return sched_setscheduler(0, SCHED_BATCH, &param);
}
