#ifndef VKSERVE_CPROCESS_H
#define VKSERVE_CPROCESS_H
// Process-level calls Swift cannot make directly (prctl is variadic).

/// Ask the kernel to send `sig` to this process when its parent exits. Returns 0 or -1 (errno).
int vk_set_parent_death_signal(int sig);

#endif
