@preconcurrency import Glibc

/// The directory that holds the router's socket: owned by us, mode 0700, so
/// no other user can even reach the socket.
public enum RuntimeDirectory {
    /// The base for runtime directories: $XDG_RUNTIME_DIR, else /tmp.
    static func base() -> String {
        if let xdg = getenv("XDG_RUNTIME_DIR"), xdg.pointee != 0 { return String(cString: xdg) }
        return "/tmp"
    }

    /// The default for a supervisor with this pid: private to the instance, so
    /// several `machat`s (and parallel tests) never share one.
    public static func defaultPath(pid: pid_t = getpid()) -> String {
        "\(base())/machat-\(getuid())-\(pid)"
    }

    /// The router socket used by a router or gateway started by hand without
    /// `-socket`/`-router`: one stable place per user, so they find each other.
    public static func defaultSocketPath() -> String {
        "\(base())/machat-\(getuid())/router.sock"
    }

    /// Creates `path` with mode 0700 if missing; refuses a directory that
    /// belongs to someone else or that others can enter.
    public static func ensure(_ path: String) throws(RuntimeDirectoryError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .cannotCreate(path, SystemError("mkdir", errno: errno))
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .cannotCreate(path, SystemError("lstat", errno: errno)) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .unsafe(path, "not a directory") }
        guard info.st_uid == getuid() else { throw .unsafe(path, "owned by uid \(info.st_uid), not \(getuid())") }
        // Never chmod: the directory may be shared (such as /tmp) and is not
        // ours to change; the user picks a private one instead.
        if info.st_mode & 0o077 != 0 {
            throw .unsafe(
                path,
                "mode \(String(info.st_mode & 0o777, radix: 8)); other users could reach the socket, use a directory with mode 0700"
            )
        }
    }

    /// Removes default runtime directories (`machat-<uid>-<pid>`) left by
    /// supervisors that were killed before they could clean up: the pid is
    /// gone, or no longer a process of ours.
    public static func removeStale() {
        let prefix = "machat-\(getuid())-"
        guard let dir = opendir(base()) else { return }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count)) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { stale.append(name) }
        }
        closedir(dir)
        for name in stale {
            remove("\(base())/\(name)")
            Log.info("removed a stale runtime directory", ["path": "\(base())/\(name)"])
        }
    }

    /// Removes the directory and the files directly in it.
    public static func remove(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink("\(path)/\(name)") }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    /// The parent directory of a socket path.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// A runtime directory that cannot be used safely.
public enum RuntimeDirectoryError: Error, CustomStringConvertible, Sendable {
    case cannotCreate(String, SystemError)
    case unsafe(String, String)

    public var description: String {
        switch self {
        case .cannotCreate(let path, let error): return "cannot create runtime directory \(path): \(error)"
        case .unsafe(let path, let why): return "refusing runtime directory \(path): \(why)"
        }
    }
}
