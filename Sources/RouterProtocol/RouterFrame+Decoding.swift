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
                gateway: try reader.readString(field: "gateway"),
                instance: try reader.readInteger(field: "instance"))
        case .welcome:
            frame = .welcome(version: try reader.readInteger(field: "version"))
        case .join:
            frame = .join(
                conn: try reader.readInteger(field: "conn"),
                name: try reader.readString(field: "name"),
                room: try reader.readString(field: "room"),
                options: try readJoinOptions(&reader))
        case .say:
            frame = .say(
                conn: try reader.readInteger(field: "conn"), text: reader.readRemainingBytes())
        case .leave:
            frame = .leave(conn: try reader.readInteger(field: "conn"))
        case .joined:
            let conn: ConnectionID = try reader.readInteger(field: "conn")
            let room: RoomID = try reader.readInteger(field: "room")
            let lastOffset: UInt64 = try reader.readInteger(field: "offset")
            let historyFrom: UInt64 = try reader.readInteger(field: "historyFrom")
            let flags: UInt8 = try reader.readInteger(field: "flags")
            let epoch = try reader.readString(field: "epoch")
            frame = .joined(
                conn: conn, room: room,
                grant: JoinGrant(lastOffset: lastOffset, historyFrom: historyFrom, recovered: flags & 1 != 0, epoch: epoch))
        case .rejected:
            frame = .rejected(
                conn: try reader.readInteger(field: "conn"),
                reason: try reader.readString(field: "reason"))
        case .deliver:
            let room: RoomID = try reader.readInteger(field: "room")
            let line = try readLine(&reader, payloadLength: nil)
            frame = .deliver(room: room, line: line)
        case .ack:
            frame = .ack(count: try reader.readInteger(field: "count"))
        case .ready:
            frame = .ready(firstSequence: try reader.readInteger(field: "firstSequence"))
        case .members:
            let conn: ConnectionID = try reader.readInteger(field: "conn")
            let count = Int(try reader.readInteger(UInt16.self, field: "count"))
            var names: [String] = []
            names.reserveCapacity(count)
            for _ in 0..<count { names.append(try reader.readString(field: "name")) }
            frame = .members(conn: conn, names: names)
        case .presence:
            let room: RoomID = try reader.readInteger(field: "room")
            let kindByte: UInt8 = try reader.readInteger(field: "kind")
            guard let kind = PresenceKind(rawValue: kindByte) else {
                throw .malformed(type: type.rawValue, reason: "unknown presence kind \(kindByte)")
            }
            frame = .presence(
                room: room, kind: kind, time: try reader.readInteger(field: "time"),
                name: try reader.readString(field: "name"))
        case .fetch:
            frame = .fetch(
                conn: try reader.readInteger(field: "conn"), after: try reader.readInteger(field: "after"),
                through: try reader.readInteger(field: "through"), maxBytes: try reader.readInteger(field: "maxBytes"))
        case .history:
            let conn: ConnectionID = try reader.readInteger(field: "conn")
            let next: UInt64 = try reader.readInteger(field: "next")
            let done: UInt8 = try reader.readInteger(field: "done")
            var lines: [RoomLine] = []
            while !reader.isAtEnd {
                let offset: UInt64 = try reader.readInteger(field: "offset")
                let time: UInt64 = try reader.readInteger(field: "time")
                let nameLength = Int(try reader.readInteger(UInt16.self, field: "nameLength"))
                let payloadLength = Int(try reader.readInteger(UInt32.self, field: "payloadLength"))
                var line = try readLine(&reader, nameLength: nameLength, payloadLength: payloadLength)
                line.offset = offset
                line.time = time
                lines.append(line)
            }
            frame = .history(conn: conn, next: next, done: done != 0, lines: lines)
        }
        try reader.expectEnd()
        return frame
    }

    private static func readJoinOptions(_ reader: inout FrameBodyReader) throws(RouterProtocolError) -> JoinOptions {
        let flags: UInt8 = try reader.readInteger(field: "flags")
        let history: UInt32 = try reader.readInteger(field: "history")
        let since: UInt64 = try reader.readInteger(field: "since")
        let epoch = try reader.readString(field: "epoch")
        return JoinOptions(
            history: flags & JoinOptions.historyFlag != 0 ? history : nil,
            resume: flags & JoinOptions.resumeFlag != 0 ? JoinOptions.Resume(since: since, epoch: epoch) : nil,
            wantsMembers: flags & JoinOptions.membersFlag != 0,
            isRejoin: flags & JoinOptions.rejoinFlag != 0)
    }

    /// `u64 offset, u64 time, u16 nameLength`, then the payload (the rest of
    /// the body for DELIVER).
    private static func readLine(_ reader: inout FrameBodyReader, payloadLength: Int?) throws(RouterProtocolError) -> RoomLine {
        let offset: UInt64 = try reader.readInteger(field: "offset")
        let time: UInt64 = try reader.readInteger(field: "time")
        let nameLength = Int(try reader.readInteger(UInt16.self, field: "nameLength"))
        var line = try readLine(&reader, nameLength: nameLength, payloadLength: payloadLength ?? reader.remaining.count)
        line.offset = offset
        line.time = time
        return line
    }

    private static func readLine(
        _ reader: inout FrameBodyReader, nameLength: Int, payloadLength: Int
    ) throws(RouterProtocolError) -> RoomLine {
        let payload = try reader.readBytes(payloadLength, field: "payload")
        if let problem = LineView.problem(payload, nameLength) {
            throw .malformed(type: reader.type, reason: problem)
        }
        let view = LineView(offset: 0, time: 0, payload: payload, nameLength: nameLength)
        guard let name = String(validating: view.name.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw .malformed(type: reader.type, reason: "invalid UTF-8 in name")
        }
        return RoomLine(offset: 0, time: 0, name: name, text: Array(view.text))
    }
}

extension JoinOptions {
    static let historyFlag: UInt8 = 1
    static let resumeFlag: UInt8 = 2
    static let membersFlag: UInt8 = 4
    static let rejoinFlag: UInt8 = 8

    var flags: UInt8 {
        (history != nil ? Self.historyFlag : 0) | (resume != nil ? Self.resumeFlag : 0)
            | (wantsMembers ? Self.membersFlag : 0) | (isRejoin ? Self.rejoinFlag : 0)
    }
}
