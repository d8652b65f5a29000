/// Why `machat history` printed nothing.
public enum HistoryError: Error, CustomStringConvertible, Sendable {
    case store(StoreError)
    case noSuchRoom(room: String, path: String)
    case historyDisabled
    case read(path: String, SQLiteError)
    /// A bad flag value.
    case usage(String)

    public var description: String {
        switch self {
        case .usage(let message): message
        case .store(let error): error.description
        case .noSuchRoom(let room, let path): "no room \"\(room)\" in \(path) (room names are case-sensitive)"
        case .historyDisabled: "-data-dir none keeps history in memory only; there is no history on disk to print"
        case .read(let path, let error): "cannot read \(path): \(error)"
        }
    }
}
