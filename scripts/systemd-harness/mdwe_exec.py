#!/usr/bin/env python3
"""Runs a command under the seccomp filter that systemd 252 installs for MemoryDenyWriteExecute=yes, on a
machine without systemd (a GPU host in a container): does this Vulkan driver survive vkserve.service?

    mdwe_exec.py COMMAND [ARG]...      e.g. mdwe_exec.py vkserve generate --backend vulkan --model M "Hi"

The filter, as systemd's (x86-64): mmap with PROT_WRITE and PROT_EXEC together, mprotect or pkey_mprotect
adding PROT_EXEC, and shmat with SHM_EXEC fail with EPERM. A driver that compiles shaders to CPU code (a JIT,
e.g. Mesa's lavapipe/llvmpipe) crashes under it; one that compiles for the GPU does not.
"""

import ctypes
import os
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
NR_MMAP, NR_MPROTECT, NR_SHMAT, NR_PKEY_MPROTECT = 9, 10, 30, 329
PROT_WRITE, PROT_EXEC = 0x2, 0x4
SHM_EXEC = 0o100000
RET_ALLOW = 0x7FFF0000
RET_EPERM = 0x00050000 | 1
# Classic BPF opcodes.
LD_W_ABS = 0x20   # A = seccomp_data[k]
JEQ_K = 0x15      # if A == k: jt else jf
JSET_K = 0x45     # if A & k: jt else jf
AND_K = 0x54      # A &= k
RET_K = 0x06
# struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 i (the low 32 bits first on little-endian).
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG2 = 0, 4, 32


def program():
    ins = lambda code, jt, jf, k: struct.pack("HBBI", code, jt, jf, k)
    return [
        ins(LD_W_ABS, 0, 0, OFFSET_ARCH),
        ins(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        ins(RET_K, 0, 0, RET_ALLOW),                 # other ABIs: not this check's business
        ins(LD_W_ABS, 0, 0, OFFSET_NR),
        ins(JEQ_K, 4, 0, NR_MMAP),                   # → mmap check (index 9)
        ins(JEQ_K, 6, 0, NR_MPROTECT),               # → mprotect check (index 12)
        ins(JEQ_K, 5, 0, NR_PKEY_MPROTECT),          # → mprotect check
        ins(JEQ_K, 7, 0, NR_SHMAT),                  # → shmat check (index 15)
        ins(RET_K, 0, 0, RET_ALLOW),
        ins(LD_W_ABS, 0, 0, OFFSET_ARG2),            # 9: mmap prot
        ins(AND_K, 0, 0, PROT_WRITE | PROT_EXEC),
        ins(JEQ_K, 6, 5, PROT_WRITE | PROT_EXEC),    # → EPERM (index 18) / ALLOW (17)
        ins(LD_W_ABS, 0, 0, OFFSET_ARG2),            # 12: mprotect prot
        ins(JSET_K, 4, 3, PROT_EXEC),                # → EPERM / ALLOW
        ins(RET_K, 0, 0, RET_ALLOW),
        ins(LD_W_ABS, 0, 0, OFFSET_ARG2),            # 15: shmat flags
        ins(JSET_K, 1, 0, SHM_EXEC),                 # → EPERM / ALLOW
        ins(RET_K, 0, 0, RET_ALLOW),                 # 17
        ins(RET_K, 0, 0, RET_EPERM),                 # 18
    ]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if os.uname().machine != "x86_64":
        sys.exit("mdwe_exec.py: x86-64 only")
    instructions = program()
    buffer = ctypes.create_string_buffer(b"".join(instructions))
    fprog = struct.pack("HxxxxxxQ", len(instructions), ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        sys.exit(f"mdwe_exec.py: PR_SET_NO_NEW_PRIVS: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_char_p(fprog), 0, 0) != 0:
        sys.exit(f"mdwe_exec.py: seccomp filter: {os.strerror(ctypes.get_errno())}")
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
