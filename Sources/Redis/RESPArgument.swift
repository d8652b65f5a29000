/// Something that can be one argument of a Redis command: it appends itself
/// as a RESP bulk string (`$length\r\nbytes\r\n`) straight into the output.
///
/// Bytes go as they are (Redis strings are binary-safe), strings as their
/// UTF-8, integers in decimal, which is how Redis reads numbers.
public protocol RESPArgument {
    /// Appends `$length\r\nbytes\r\n` to `buffer`.
    func appendBulkString(to buffer: inout [UInt8])
}

extension [UInt8]: RESPArgument {
    @inline(__always)
    public func appendBulkString(to buffer: inout [UInt8]) {
        RESPEncoder.encodeLine(UInt8(ascii: "$"), count, into: &buffer)
        buffer.append(contentsOf: self)
        RESPEncoder.appendCRLF(&buffer)
    }
}

extension ArraySlice<UInt8>: RESPArgument {
    @inline(__always)
    public func appendBulkString(to buffer: inout [UInt8]) {
        RESPEncoder.encodeLine(UInt8(ascii: "$"), count, into: &buffer)
        buffer.append(contentsOf: self)
        RESPEncoder.appendCRLF(&buffer)
    }
}

extension UnsafeRawBufferPointer: RESPArgument {
    @inline(__always)
    public func appendBulkString(to buffer: inout [UInt8]) {
        RESPEncoder.encodeBulkString(self, into: &buffer)
    }
}

extension String: RESPArgument {
    @inline(__always)
    public func appendBulkString(to buffer: inout [UInt8]) {
        RESPEncoder.encodeLine(UInt8(ascii: "$"), utf8.count, into: &buffer)
        buffer.append(contentsOf: utf8)
        RESPEncoder.appendCRLF(&buffer)
    }
}

extension Substring: RESPArgument {
    @inline(__always)
    public func appendBulkString(to buffer: inout [UInt8]) {
        RESPEncoder.encodeLine(UInt8(ascii: "$"), utf8.count, into: &buffer)
        buffer.append(contentsOf: utf8)
        RESPEncoder.appendCRLF(&buffer)
    }
}

extension Int: RESPArgument {
    public func appendBulkString(to buffer: inout [UInt8]) { Int64(self).appendBulkString(to: &buffer) }
}

extension Int32: RESPArgument {
    public func appendBulkString(to buffer: inout [UInt8]) { Int64(self).appendBulkString(to: &buffer) }
}

extension UInt32: RESPArgument {
    public func appendBulkString(to buffer: inout [UInt8]) { UInt64(self).appendBulkString(to: &buffer) }
}

extension Int64: RESPArgument {
    public func appendBulkString(to buffer: inout [UInt8]) {
        let sign = self < 0 ? 1 : 0
        RESPEncoder.encodeLine(UInt8(ascii: "$"), sign + RESPEncoder.decimalDigitCount(magnitude), into: &buffer)
        RESPEncoder.appendDecimal(self, to: &buffer)
        RESPEncoder.appendCRLF(&buffer)
    }
}

extension UInt64: RESPArgument {
    public func appendBulkString(to buffer: inout [UInt8]) {
        RESPEncoder.encodeLine(UInt8(ascii: "$"), RESPEncoder.decimalDigitCount(self), into: &buffer)
        RESPEncoder.appendDecimal(magnitude: self, to: &buffer)
        RESPEncoder.appendCRLF(&buffer)
    }
}
