/// Appends the arguments of one command whose argument list is built at run
/// time (a batch of messages for one script call); handed out by
/// `RESPEncoder.encodeCommand(argumentCount:into:_:)` and the connection's
/// `send(argumentCount:_:reply:)`, which check that the count matches.
public struct RESPArgumentWriter {
    /// The output; borrowed from the caller's buffer for the duration of a write.
    var bytes: [UInt8] = []
    /// Arguments written so far.
    public private(set) var count = 0

    init() {}

    /// Appends one argument.
    @inline(__always)
    public mutating func append(_ argument: some RESPArgument) {
        argument.appendBulkString(to: &bytes)
        count += 1
    }

    /// Appends `count` arguments already encoded as RESP bulk strings (a
    /// batch built up over a loop turn with `RESPEncoder.encodeBulkString`).
    public mutating func appendEncoded(_ encoded: [UInt8], count: Int) {
        bytes.append(contentsOf: encoded)
        self.count += count
    }

    /// Appends each argument of `arguments` in order.
    public mutating func append<Arguments: Sequence>(contentsOf arguments: Arguments) where Arguments.Element: RESPArgument {
        for argument in arguments { append(argument) }
    }
}
