@preconcurrency import Glibc

/// Starts child processes with posix_spawn (not fork, not Foundation's
/// Process): signal mask emptied and every signal's disposition reset in the
/// child, and only the descriptors named here inherited.
public enum ProcessSpawner {
    /// Spawns `executable` with `arguments` (argv[1...]) and `environment`
    /// added to ours. `inherit` maps descriptors of ours to descriptor numbers
    /// in the child (e.g. a listening socket to 3 for LISTEN_FDS); everything
    /// else we hold is close-on-exec.
    public static func spawn(
        executable: String, arguments: [String], environment: [String: String] = [:], inherit: [(FileDescriptor, CInt)] = []
    ) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in inherit {
            // Callers keep their descriptors above the targets, so dup2 always
            // copies (dup2 onto itself would leave close-on-exec set).
            precondition(fd.rawValue != target, "inherited descriptor must differ from its target number")
            posix_spawn_file_actions_adddup2(&actions, fd.rawValue, target)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var merged: [String: String] = [:]
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                merged[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            index += 1
        }
        for (key, value) in environment { merged[key] = value }

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        if status != 0 { throw SystemError("posix_spawn \(executable)", errno: status) }
        return pid
    }

    /// How a child ended, from a waitpid status.
    public static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exit status \((status >> 8) & 0xFF)" }
        return "killed by signal \(signal)"
    }

    /// The exit code from a waitpid status; nil if a signal ended the process.
    public static func exitCode(status: Int32) -> Int32? {
        status & 0x7F == 0 ? (status >> 8) & 0xFF : nil
    }

    /// The directory holding this executable (/proc/self/exe), where the
    /// sibling executables are.
    public static func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "." }
        let path = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return RuntimeDirectory.parent(of: path)
    }
}
