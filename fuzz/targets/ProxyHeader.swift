import GatewayCore

/// libFuzzer entry: the PROXY protocol header a trusted proxy sends first
/// (`ProxyHeaderParser`, v1 text and v2 binary), through its own fuzz entry
/// `ProxyHeaderParser.fuzz`, which parses each input whole and in several
/// splits and traps if a split parses differently, a header passes its
/// version's bound, or a v1 TCP4 header is not the text it was read from.
/// Here every header and error is also rendered for logs, which must not
/// trap either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    ProxyHeaderParser.fuzz(input)
    var parser = ProxyHeaderParser()
    switch parser.feed(input) {
    case .needMore: break
    case .complete(let header, _): _ = "\(header) \(header.source?.description ?? "-")"
    case .failed(let error): _ = "\(error)"
    }
    return 0
}
