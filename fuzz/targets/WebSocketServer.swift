import WebSocket

/// libFuzzer entry: `WebSocketStateMachine` as the server, fed what a
/// server receives (checks in `WebSocketFuzzer`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebSocketFuzzer.run(Array(UnsafeRawBufferPointer(start: data, count: size)), role: .server)
    return 0
}
