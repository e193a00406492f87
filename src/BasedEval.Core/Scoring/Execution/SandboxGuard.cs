namespace BasedEval.Core.Scoring.Execution;

/// <summary>
/// The Python side of <see cref="PythonSandbox"/>: sets the resource limits, installs an audit hook, then runs program.py.
/// The hook (PEP 578; Python code cannot remove one) refuses sockets, new processes, native libraries, signals to other
/// processes and any write, delete, rename or link outside the working folder. It is the second wall: the first is the
/// operating system's (rlimits, a private network and PID namespace where the kernel allows one, the timeout and the kill).
/// The completion marker is printed only when the program ran to its end, so a program that exits early with status 0 does
/// not pass.
/// </summary>
internal static class SandboxGuard
{
    public const string FileName = "guard.py";

    public const string ProgramFileName = "program.py";

    public const string Source = """
        import os, resource, sys, traceback

        def main():
            memory, cpu, file_size, processes = (int(v) for v in sys.argv[1:5])
            marker = sys.argv[5]
            del sys.argv[1:]
            # The parent drains stdout and stderr on their own pipes, so what it reads of the two arrives in whichever order
            # its readers were scheduled; one pipe keeps the traceback after what the program printed, and the reason taken
            # from the last line the exception's.
            os.dup2(1, 2)
            for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu), (resource.RLIMIT_FSIZE, file_size),
                                 (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_CORE, 0)):
                resource.setrlimit(limit, (value, value))
            work = os.path.realpath(os.getcwd())
            with open("program.py", encoding="utf-8") as f:
                source = f.read()
            code = compile(source, "program.py", "exec")
            write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
            refused = {"socket.__new__": "network", "socket.connect": "network", "socket.bind": "network",
                       "socket.sendto": "network", "socket.getaddrinfo": "network", "socket.gethostbyname": "network",
                       "subprocess.Popen": "starting processes", "os.system": "starting processes", "os.exec": "starting processes",
                       "os.posix_spawn": "starting processes", "os.spawn": "starting processes", "os.fork": "starting processes",
                       "os.forkpty": "starting processes", "pty.spawn": "starting processes",
                       "ctypes.dlopen": "native code", "ctypes.dlsym": "native code", "ctypes.call_function": "native code",
                       "os.kill": "signals", "os.killpg": "signals", "signal.pthread_kill": "signals",
                       "os.symlink": "links", "os.link": "links"}
            path_events = {"os.remove", "os.rmdir", "os.rename", "os.replace", "os.mkdir", "os.chmod", "os.chown",
                           "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.copymode",
                           "shutil.copystat", "shutil.move", "shutil.chown"}

            def inside(path):
                if isinstance(path, int):
                    return True
                path = os.fsdecode(os.fspath(path))
                full = os.path.normpath(os.path.join(work, path))
                return full == work or full.startswith(work + os.sep)

            def audit(event, args):
                if event in refused:
                    raise PermissionError(f"sandbox: {refused[event]} not allowed ({event})")
                if event == "open":
                    path, mode, flags = args
                    writes = (isinstance(flags, int) and flags & write_flags) or (isinstance(mode, str) and any(c in mode for c in "wax+"))
                    if writes and path is not None and not inside(path):
                        raise PermissionError(f"sandbox: writing outside the working folder not allowed ({path!r})")
                elif event in path_events:
                    for arg in args:
                        if isinstance(arg, (str, bytes, os.PathLike)) and not inside(arg):
                            raise PermissionError(f"sandbox: {event} outside the working folder not allowed ({arg!r})")

            sys.addaudithook(audit)
            try:
                exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
            except BaseException:
                try:
                    sys.stdout.flush()
                except BaseException:
                    pass
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            sys.stdout.write("\n" + marker + "\n")
            sys.stdout.flush()
            os._exit(0)

        main()
        """;
}
