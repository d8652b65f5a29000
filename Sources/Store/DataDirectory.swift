@preconcurrency import Glibc
import Reactor

/// Where machat keeps room history on disk (`-data-dir`): by default
/// `$XDG_STATE_HOME/machat`, else `~/.local/state/machat` (the XDG Base
/// Directory specification's place for state that survives restarts).
public enum DataDirectory {
    /// `-data-dir none`: history lives in the router's memory only.
    public static let disabled = "none"
    /// The database's file name inside the directory.
    public static let databaseName = "history.sqlite3"
    /// The lock `machat` holds while it runs on the directory.
    public static let supervisorLockName = "machat.lock"
    /// The lock the store process holds while it writes the database.
    public static let storeLockName = "store.lock"

    /// The default directory. A relative `XDG_STATE_HOME` is ignored, as the
    /// specification asks.
    public static func defaultPath() -> String {
        if let state = environment("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/machat" }
        return home() + "/.local/state/machat"
    }

    /// The database file inside `directory`.
    public static func databasePath(in directory: String) -> String {
        directory.hasSuffix("/") ? directory + databaseName : directory + "/" + databaseName
    }

    /// Creates `path` and its missing parents (new ones mode 0700: chat
    /// history is private); refuses a path that exists but is no directory.
    public static func ensure(_ path: String) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw .unusableDirectory(path: path, reason: "\(SystemError("mkdir \(prefix)", errno: errno))")
            }
            prefix += "/"
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .unusableDirectory(path: path, reason: "\(SystemError("stat", errno: errno))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .unusableDirectory(path: path, reason: "not a directory") }
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// $HOME, else the password database's home directory.
    static func home() -> String {
        if let home = environment("HOME") { return home }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }
}
