import RouterProtocol

/// The objects of the JSON client format (README, "The JSON format"), each
/// appended to a byte buffer with no transport framing: the gateway adds a
/// newline (TCP) or a WebSocket frame header around it.
enum ClientJSON {
    /// `{"type":"message","room":…,"offset":…,"time":…,"name":…,"text":…}`;
    /// `roomJSON` is the room's name already as a JSON string.
    static func appendMessage(roomJSON: [UInt8], line: LineView, into out: inout [UInt8]) {
        JSONWriter.appendRaw(#"{"type":"message","room":"#, into: &out)
        out.append(contentsOf: roomJSON)
        JSONWriter.appendRaw(#","offset":"#, into: &out)
        JSONWriter.appendInteger(line.offset, into: &out)
        JSONWriter.appendRaw(#","time":"#, into: &out)
        JSONWriter.appendInteger(line.time, into: &out)
        JSONWriter.appendRaw(#","name":"#, into: &out)
        JSONWriter.appendString(line.name, into: &out)
        JSONWriter.appendRaw(#","text":"#, into: &out)
        JSONWriter.appendString(line.text, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"type":"welcome","room":…,"name":…,"epoch":…,"offset":…,"recovered":…,"members":[…]}`.
    static func appendWelcome(room: LocalRoom, name: String, grant: JoinGrant, members: [String], into out: inout [UInt8]) {
        JSONWriter.appendRaw(#"{"type":"welcome","room":"#, into: &out)
        out.append(contentsOf: room.nameJSON)
        JSONWriter.appendRaw(#","name":"#, into: &out)
        JSONWriter.appendString(name, into: &out)
        JSONWriter.appendRaw(#","epoch":"#, into: &out)
        JSONWriter.appendString(grant.epoch, into: &out)
        JSONWriter.appendRaw(#","offset":"#, into: &out)
        JSONWriter.appendInteger(grant.lastOffset, into: &out)
        JSONWriter.appendRaw(grant.recovered ? #","recovered":true,"members":["# : #","recovered":false,"members":["#, into: &out)
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(member, into: &out)
        }
        JSONWriter.appendRaw("]}", into: &out)
    }

    /// `{"type":"join","name":…,"time":…}` or `{"type":"leave",…}`.
    static func appendPresence(kind: PresenceKind, name: String, time: UInt64, into out: inout [UInt8]) {
        JSONWriter.appendRaw(kind == .join ? #"{"type":"join","name":"# : #"{"type":"leave","name":"#, into: &out)
        JSONWriter.appendString(name, into: &out)
        JSONWriter.appendRaw(#","time":"#, into: &out)
        JSONWriter.appendInteger(time, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"type":"error","message":…}`.
    static func appendError(_ message: String, into out: inout [UInt8]) {
        JSONWriter.appendRaw(#"{"type":"error","message":"#, into: &out)
        JSONWriter.appendString(message, into: &out)
        out.append(UInt8(ascii: "}"))
    }
}
