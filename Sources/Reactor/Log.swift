@preconcurrency import Glibc

/// Logfmt logging to stderr: `ts=… level=… proc=… pid=… msg=… key=value`.
/// One `write(2)` per line so lines from several processes sharing a terminal
/// or pipe do not interleave (writes up to PIPE_BUF are atomic, pipe(7)).
public enum Log {
    /// Severity of a log line.
    public enum Level: String, Sendable {
        case debug, info, warn, error
    }

    // Set once at process start-up, before any other thread could exist;
    // server processes are single-threaded (STYLE.md).
    nonisolated(unsafe) private static var processName = "machat"
    nonisolated(unsafe) private static var pid: Int32 = getpid()
    nonisolated(unsafe) public static var debugEnabled = getenv("MACHAT_DEBUG") != nil

    /// Names the process in every later line (`proc=`).
    public static func setProcess(_ name: String) {
        processName = name
        pid = getpid()
    }

    public static func debug(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        if debugEnabled { write(.debug, message, fields) }
    }

    public static func info(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        write(.info, message, fields)
    }

    public static func warn(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        write(.warn, message, fields)
    }

    public static func error(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        write(.error, message, fields)
    }

    /// Formats and writes one line.
    public static func write(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, Any>) {
        var line = "ts=\(timestamp()) level=\(level.rawValue) proc=\(processName) pid=\(pid) msg=\(quoted(message))"
        for (key, value) in fields {
            line += " \(key)=\(quoted(String(describing: value)))"
        }
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n == -1 && Glibc.errno == EINTR {
                    continue
                } else {
                    return  // stderr gone or full: logging must never stop the server
                }
            }
        }
    }

    /// Quotes a value when logfmt needs it (spaces, quotes, `=`, control bytes).
    static func quoted(_ value: String) -> String {
        if value.isEmpty { return "\"\"" }
        var needsQuotes = false
        for byte in value.utf8 where byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=") || byte == 0x7F {
            needsQuotes = true
            break
        }
        if !needsQuotes { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// UTC wall-clock time with milliseconds, RFC 3339.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let millis = Int32(now.tv_nsec / 1_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }
}
