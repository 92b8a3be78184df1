#ifndef VKSERVE_CPROCESS_H
#define VKSERVE_CPROCESS_H
// Process-level calls Swift cannot make directly (prctl is variadic).

/// Ask the kernel to send `sig` to this process when its parent exits. Returns 0 or -1 (errno).
int vk_set_parent_death_signal(int sig);

/// The uid, gid and pid of the process at the other end of a Unix socket (SO_PEERCRED).
/// Returns 0 or -1 (errno).
int vk_peer_credentials(int fd, unsigned int *uid, unsigned int *gid, int *pid);
/// The peer's supplementary groups as of connect() (SO_PEERGROUPS, Linux 4.13+): their count, or -1 with
/// errno (ERANGE: more than `capacity`).
int vk_peer_groups(int fd, unsigned int *groups, int capacity);
/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): a connection descriptor that is close-on-exec from the start, so a
/// worker spawned at the same moment cannot inherit it. Returns the descriptor or -1 (errno).
int vk_accept_cloexec(int fd);

/// Adds "close every descriptor from `lowest` up" to a spawn's file actions (glibc 2.34+), so a child holds
/// exactly the descriptors the other actions give it, whatever the parent forgot to mark close-on-exec.
/// Returns 0 or an errno value (ENOSYS where the C library lacks it).
int vk_spawn_close_from(void *actions, int lowest);

/// Raises the soft RLIMIT_NOFILE to the hard limit. Writes the soft limit before and after (either may be
/// NULL). Returns 0 or -1 (errno).
int vk_raise_nofile_limit(unsigned long long *before, unsigned long long *after);

#endif
