import Testing

@testable import RouterProtocol

@Suite("RouterFrame descriptions")
struct RouterFrameDescriptionTests {
    @Test func framesDescribeThemselvesAsOneLogLine() {
        let expected: [(RouterFrame, String)] = [
            (.hello(version: 2, gateway: "tcp-1", instance: 7), "HELLO version=2 gateway=tcp-1 instance=7"),
            (.welcome(version: 2), "WELCOME version=2"),
            (.join(conn: 3, name: "Mina", room: "dev", options: .plain), "JOIN conn=3 name=Mina room=dev"),
            (
                .join(
                    conn: 3, name: "Mina", room: "dev",
                    options: JoinOptions(history: 5, resume: .init(since: 9, epoch: "e"), wantsMembers: true, isRejoin: true)),
                "JOIN conn=3 name=Mina room=dev history=5 since=9 epoch=e members=true rejoin=true"
            ),
            (.leave(conn: 3), "LEAVE conn=3"),
            (
                .joined(conn: 3, room: 9, grant: JoinGrant(lastOffset: 4, historyFrom: 2, recovered: false, epoch: "ab")),
                "JOINED conn=3 room=9 offset=4 history_from=2 recovered=false epoch=ab"
            ),
            (.ack(count: 12), "ACK count=12"),
            (.ready(firstSequence: 3), "READY first_sequence=3"),
            (.members(conn: 1, names: ["a", "b"]), "MEMBERS conn=1 count=2"),
            (.presence(room: 2, kind: .join, time: 5, name: "Bo"), "PRESENCE room=2 kind=join time=5 name=Bo"),
            (.fetch(conn: 1, after: 2, through: 3, maxBytes: 4), "FETCH conn=1 after=2 through=3 max_bytes=4"),
            (.history(conn: 1, next: 2, done: true, lines: []), "HISTORY conn=1 next=2 done=true lines=0"),
        ]
        for (frame, line) in expected {
            #expect(frame.description == line)
        }
    }

    @Test func sayAndDeliverShowByteCountsNotContent() {
        #expect(
            RouterFrame.say(conn: 3, text: Array("secret".utf8)).description == "SAY conn=3 bytes=6"
        )
        #expect(
            RouterFrame.deliver(room: 9, line: RoomLine(offset: 4, time: 1, name: "Mina", text: Array("secret".utf8)))
                .description == "DELIVER room=9 offset=4 bytes=6")
    }

    @Test func valuesWithSpacesQuotesOrControlsAreQuoted() {
        #expect(
            RouterFrame.rejected(conn: 3, reason: "name \"Mina\" taken").description
                == #"REJECTED conn=3 reason="name \"Mina\" taken""#)
        #expect(
            RouterFrame.join(conn: 1, name: "", room: "a\nb", options: .plain).description
                == #"JOIN conn=1 name="" room="a\nb""#)
    }
}
