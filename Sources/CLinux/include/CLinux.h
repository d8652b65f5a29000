// C shim: Linux APIs that Swift's Glibc module does not expose.
#ifndef MACHAT_CLINUX_H
#define MACHAT_CLINUX_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <signal.h>
#include <spawn.h>
#include <malloc.h>

/// prctl is variadic in C, which Swift cannot call; this fixes the arity.
static inline int clinux_prctl_set_pdeathsig(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
}

/// The uid of the peer of a connected Unix-domain socket (SO_PEERCRED), or -1.
long clinux_peer_uid(int fd, int *pid_out);

/// Moves the calling thread (and threads it creates later) to SCHED_BATCH
/// (sched(7)): the same CPU share as SCHED_OTHER, but its wake-ups do not
/// preempt running threads. 0 or -1 with errno.
int clinux_sched_batch(void);

/// accept4(2) with no peer address; declared here because it needs _GNU_SOURCE.
int clinux_accept4(int fd, int flags);

/// The epoll_event struct is packed on x86_64, which Swift imports awkwardly;
/// these accessors keep the layout in C.
static inline void clinux_epoll_event_set(struct epoll_event *ev, uint32_t events, uint64_t data) {
    ev->events = events;
    ev->data.u64 = data;
}
static inline uint32_t clinux_epoll_event_events(const struct epoll_event *ev) { return ev->events; }
static inline uint64_t clinux_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }

/// Keeps up to `trim` bytes of freed memory at the top of the heap (and asks
/// the kernel for `pad` more at a time) instead of returning it at once.
static inline void clinux_keep_freed_memory(int trim, int pad) {
    mallopt(M_TRIM_THRESHOLD, trim);
    mallopt(M_TOP_PAD, pad);
}

#endif
