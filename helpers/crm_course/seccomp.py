"""The sandbox's seccomp filter, built with libseccomp (through ctypes: the Debian
package libseccomp2 is all it needs) and handed to bubblewrap as BPF (``--seccomp FD``).

Everything is allowed except calls a notebook never needs and an escape would: tracing
or reading other processes (ptrace, process_vm_*), new namespaces (unshare, setns, clone
with CLONE_NEWUSER; clone3 answers ENOSYS so libc falls back to clone, which is
checked), mounts, keyrings, BPF, perf, userfaultfd, kernel modules, reboot. Each fails
with EPERM; a call from another architecture (32-bit) kills the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns", "mount",
          "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
          "fsconfig", "fspick", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
          "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
          "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
          "open_by_handle_at", "syslog", "iopl", "ioperm", "personality")
CLONE_NEWUSER = 0x10000000
ALLOW = 0x7FFF0000
MASKED_EQ = 7


def _errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


@functools.cache
def _lib():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def unavailable() -> str | None:
    """Why no filter can be built here (None when one can)."""
    try:
        bpf()
    except OSError as err:
        return (f"no seccomp filter: {err} (Debian/Ubuntu: apt-get install libseccomp2)")
    return None


@functools.cache
def bpf() -> bytes:
    """The filter as BPF bytes (see the module docstring)."""
    lib = _lib()
    ctx = lib.seccomp_init(ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    read_fd, write_fd = os.pipe()
    try:
        def add(action: int, name: str, *cmp: _ArgCmp) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:  # not a call on this architecture
                return
            args = (_ArgCmp * len(cmp))(*cmp) if cmp else None
            if lib.seccomp_rule_add_array(ctx, action, nr, len(cmp), args) != 0:
                raise OSError(f"seccomp rule for {name} refused")

        for name in DENIED:
            add(_errno(errno.EPERM), name)
        add(_errno(errno.ENOSYS), "clone3")
        add(_errno(errno.EPERM), "clone", _ArgCmp(0, MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
        if lib.seccomp_export_bpf(ctx, write_fd) != 0:
            raise OSError("seccomp_export_bpf failed")
        os.close(write_fd)
        write_fd = -1
        with os.fdopen(read_fd, "rb") as fh:
            read_fd = -1
            return fh.read()
    finally:
        lib.seccomp_release(ctx)
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)


def filter_fd() -> int:
    """A readable descriptor holding the filter, for ``bwrap --seccomp FD`` (the caller
    passes it to bwrap and closes it)."""
    data = bpf()
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)  # a few hundred bytes: fits the pipe's buffer
    os.close(write_fd)
    return read_fd
