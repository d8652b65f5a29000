extension RouterFrame {
    /// Decodes one frame body (the bytes after the type byte). Any version number
    /// is accepted; checking it is the caller's job.
    static func decode(
        type: RouterFrameType, body: UnsafeRawBufferPointer
    ) throws(RouterProtocolError) -> RouterFrame {
        var reader = FrameBodyReader(type: type.rawValue, bytes: body)
        let frame: RouterFrame
        // Arguments are evaluated left to right, which is the order on the wire.
        switch type {
        case .hello:
            frame = .hello(
                version: try reader.readInteger(field: "version"),
                gateway: try reader.readString(field: "gateway"))
        case .welcome:
            frame = .welcome(version: try reader.readInteger(field: "version"))
        case .join:
            frame = .join(
                conn: try reader.readInteger(field: "conn"),
                name: try reader.readString(field: "name"),
                room: try reader.readString(field: "room"))
        case .say:
            frame = .say(
                conn: try reader.readInteger(field: "conn"), text: reader.readRemainingBytes())
        case .leave:
            frame = .leave(conn: try reader.readInteger(field: "conn"))
        case .joined:
            frame = .joined(
                conn: try reader.readInteger(field: "conn"),
                room: try reader.readInteger(field: "room"))
        case .rejected:
            frame = .rejected(
                conn: try reader.readInteger(field: "conn"),
                reason: try reader.readString(field: "reason"))
        case .deliver:
            frame = .deliver(
                room: try reader.readInteger(field: "room"), payload: reader.readRemainingBytes())
        case .ack:
            frame = .ack(count: try reader.readInteger(field: "count"))
        case .ready:
            frame = .ready
        }
        try reader.expectEnd()
        return frame
    }
}
