/// Type byte of each frame on the wire.
enum StoreFrameType: UInt8 {
    case hello = 1
    case welcome = 2
    case load = 3
    case room = 4
    case lines = 5
    case gateways = 6
    case loaded = 7
    case append = 8
    case committed = 9
    case status = 10
}

/// Kind byte of each record inside an APPEND body.
enum AppendRecordKind: UInt8 {
    case room = 1
    case line = 2
    case mark = 3
}
