#define _GNU_SOURCE
#include "cprocess.h"
#include <sys/prctl.h>

int vk_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
}

#include <sys/socket.h>
#include <errno.h>
#include <stddef.h>

int vk_peer_groups(int fd, unsigned int *groups, int capacity) {
#ifdef SO_PEERGROUPS
    socklen_t len = (socklen_t)(capacity * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) return -1;
    return (int)(len / sizeof(gid_t));
#else
    (void)fd; (void)groups; (void)capacity;
    errno = ENOPROTOOPT;
    return -1;
#endif
}

int vk_peer_credentials(int fd, unsigned int *uid, unsigned int *gid, int *pid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *uid = cred.uid;
    *gid = cred.gid;
    *pid = cred.pid;
    return 0;
}

int vk_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

#include <spawn.h>
#include <sys/resource.h>

int vk_spawn_close_from(void *actions, int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, lowest);
#else
    (void)actions; (void)lowest;
    return ENOSYS;
#endif
}

int vk_raise_nofile_limit(unsigned long long *before, unsigned long long *after) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (before) *before = (unsigned long long)limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    }
    if (after) *after = (unsigned long long)limit.rlim_cur;
    return 0;
}
