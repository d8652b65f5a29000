extension StoreFrame {
    /// Decodes one frame body (the bytes after the type byte). Versions are
    /// not checked here; that is the receiver's job.
    static func decode(type: StoreFrameType, body: UnsafeRawBufferPointer) throws(StoreProtocolError) -> StoreFrame {
        var reader = BodyReader(type: type.rawValue, bytes: body)
        let frame: StoreFrame
        // Arguments are evaluated left to right, the order on the wire.
        switch type {
        case .hello:
            frame = .hello(
                version: try reader.integer("version"), instance: try reader.integer("instance"),
                retention: RetentionSettings(
                    linesPerRoom: try reader.integer("linesPerRoom"), ttlMilliseconds: try reader.integer("ttl")))
        case .welcome:
            frame = .welcome(
                version: try reader.integer("version"),
                retention: RetentionSettings(
                    linesPerRoom: try reader.integer("linesPerRoom"), ttlMilliseconds: try reader.integer("ttl")),
                committedThrough: try reader.integer("committedThrough"))
        case .load:
            frame = .load
        case .room:
            frame = .room(
                LoadedRoom(
                    id: try reader.integer("id"), name: try reader.string("name"), epoch: try reader.string("epoch"),
                    lastOffset: try reader.integer("lastOffset"), lastTime: try reader.integer("lastTime"),
                    lineCount: try reader.integer("lineCount")))
        case .lines:
            let room: UInt64 = try reader.integer("room")
            var lines: [StoredLine] = []
            while !reader.isAtEnd { lines.append(try reader.line().value) }
            frame = .lines(room: room, lines: lines)
        case .gateways:
            let count = Int(try reader.integer("count", as: UInt32.self))
            // Checked before reserving, so a lying count cannot make us allocate.
            guard body.count - 4 == count * 16 else {
                throw .malformed(type: type.rawValue, reason: "count \(count) does not match \(body.count - 4) bytes of entries")
            }
            var marks: [GatewayMark] = []
            marks.reserveCapacity(count)
            for _ in 0..<count {
                marks.append(GatewayMark(instance: try reader.integer("instance"), sequence: try reader.integer("sequence")))
            }
            frame = .gateways(marks)
        case .loaded:
            frame = .loaded(
                LoadSummary(
                    rooms: try reader.integer("rooms"), lines: try reader.integer("lines"),
                    gateways: try reader.integer("gateways")))
        case .append:
            let batch: UInt64 = try reader.integer("batch")
            if let problem = AppendRecords.problem(in: reader.rest) { throw problem }
            var records: [AppendRecord] = []
            for record in AppendRecords(bytes: reader.rest) {
                switch record {
                case .room(let name, let epoch):
                    records.append(
                        .room(name: String(decoding: name, as: UTF8.self), epoch: String(decoding: epoch, as: UTF8.self)))
                case .line(let room, let gateway, let line):
                    records.append(.line(room: room, gateway: gateway, line: line.value))
                case .mark(let room, let lastOffset, let time):
                    records.append(.mark(room: room, lastOffset: lastOffset, time: time))
                }
            }
            return .append(batch: batch, records: records)
        case .committed:
            frame = .committed(through: try reader.integer("through"))
        case .status:
            let condition: UInt8 = try reader.integer("condition")
            let reason = try reader.string("reason")
            switch condition {
            case 0: frame = .status(.healthy)
            case 1: frame = .status(.failing(reason: reason))
            default: throw .malformed(type: type.rawValue, reason: "unknown status condition \(condition)")
            }
        }
        try reader.expectEnd()
        return frame
    }
}
