import Redis

/// libFuzzer entry: the RESP2/RESP3 reply decoder (`RESPDecoder`), through
/// its own fuzz entry `RESPDecoder.fuzz`, which decodes each input whole and
/// in several splits, with the default limits and tiny ones, attributes
/// attached and skipped, and traps if a split decodes differently or a decoded
/// value does not survive encode → decode. Here every value decoded is also
/// rendered for logs (`description`), which must not trap either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    RESPDecoder.fuzz(input)
    var decoder = RESPDecoder()
    decoder.feed(input)
    do {
        while let value = try decoder.next() { _ = value.description }
    } catch {
        _ = error.description
    }
    return 0
}
