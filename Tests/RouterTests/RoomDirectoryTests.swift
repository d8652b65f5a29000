import RouterProtocol
import Testing

@testable import RouterCore

/// One entry of `Room.presence`, made comparable.
private struct PresenceEntry: Equatable, CustomStringConvertible {
    var gateway: GatewayID
    var count: Int

    var description: String { "(\(gateway), \(count))" }
}

private func presenceEntries(_ room: Room?) -> [PresenceEntry]? {
    room?.presence.map { PresenceEntry(gateway: $0.gateway, count: $0.count) }
}

/// Joins and returns the member, recording an issue if the join was refused.
@discardableResult
private func mustJoin(
    _ directory: RoomDirectory, gateway: GatewayID, conn: ConnectionID, name: String, room: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Member? {
    switch directory.join(gateway: gateway, conn: conn, name: name, room: room) {
    case .success(let member):
        return member
    case .failure(let refusal):
        Issue.record(
            "join of \(name) to \(room) refused: \(refusal)", sourceLocation: sourceLocation)
        return nil
    }
}

private func refusal(_ result: Result<Member, RoomDirectory.Refusal>) -> RoomDirectory.Refusal? {
    if case .failure(let refusal) = result { return refusal }
    return nil
}

@Suite("RoomDirectory")
struct RoomDirectoryTests {
    @Test func firstJoinCreatesTheRoom() {
        let directory = RoomDirectory()
        #expect(directory.roomCount == 0)
        #expect(directory.memberCount == 0)
        let member = mustJoin(directory, gateway: 1, conn: 10, name: "Mina", room: "dev")
        #expect(directory.roomCount == 1)
        #expect(directory.memberCount == 1)
        let room = directory.rooms["dev"]
        #expect(room?.name == "dev")
        #expect(room?.members.count == 1)
        #expect(room?.members["Mina"] === member)
        #expect(presenceEntries(room) == [PresenceEntry(gateway: 1, count: 1)])
    }

    @Test func joinedMemberCarriesItsIdentity() {
        let directory = RoomDirectory()
        let member = mustJoin(directory, gateway: 3, conn: 42, name: "Zoë", room: "dev")
        #expect(member?.gateway == 3)
        #expect(member?.conn == 42)
        #expect(member?.name == "Zoë")
        #expect(member?.nameBytes == [0x5A, 0x6F, 0xC3, 0xAB])
        #expect(member?.room === directory.rooms["dev"])
        #expect(directory.member(gateway: 3, conn: 42) === member)
    }

    @Test func laterJoinsShareTheExistingRoom() {
        let directory = RoomDirectory()
        let first = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        let second = mustJoin(directory, gateway: 2, conn: 1, name: "Bob", room: "dev")
        #expect(first?.room === second?.room)
        #expect(first?.room.id == second?.room.id)
        #expect(directory.roomCount == 1)
        #expect(directory.memberCount == 2)
        #expect(directory.rooms["dev"]?.members.keys.sorted() == ["Bob", "Mina"])
    }

    @Test func eachRoomGetsItsOwnID() {
        let directory = RoomDirectory()
        let dev = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")?.room
        let ops = mustJoin(directory, gateway: 1, conn: 2, name: "Mina", room: "ops")?.room
        let qa = mustJoin(directory, gateway: 2, conn: 1, name: "Mina", room: "qa")?.room
        #expect(directory.roomCount == 3)
        let ids = [dev?.id, ops?.id, qa?.id].compactMap { $0 }
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        #expect(!ids.contains(0))
    }

    @Test func roomCreatedAgainAfterEmptyingGetsAFreshID() {
        // Gateways address deliveries by room id, so a late DELIVER for the
        // old room must not land in the new one.
        let directory = RoomDirectory()
        let oldID = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")?.room.id
        directory.leave(gateway: 1, conn: 1)
        let newID = mustJoin(directory, gateway: 1, conn: 2, name: "Mina", room: "dev")?.room.id
        #expect(oldID != nil)
        #expect(newID != nil)
        #expect(oldID != newID)
    }

    @Test func nameTakenOnAnotherGatewayIsRefused() {
        let directory = RoomDirectory()
        let mina = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        let result = directory.join(gateway: 2, conn: 5, name: "Mina", room: "dev")
        #expect(refusal(result) == .nameTaken(name: "Mina", room: "dev"))
        #expect(directory.memberCount == 1)
        #expect(directory.member(gateway: 2, conn: 5) == nil)
        #expect(directory.rooms["dev"]?.members["Mina"] === mina)
        #expect(presenceEntries(directory.rooms["dev"]) == [PresenceEntry(gateway: 1, count: 1)])
    }

    @Test func nameTakenOnTheSameGatewayIsRefused() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        #expect(
            refusal(directory.join(gateway: 1, conn: 2, name: "Mina", room: "dev"))
                == .nameTaken(name: "Mina", room: "dev"))
        #expect(directory.memberCount == 1)
        #expect(presenceEntries(directory.rooms["dev"]) == [PresenceEntry(gateway: 1, count: 1)])
    }

    @Test func nameTakenRefusalTellsTheClientWhatToDo() {
        #expect(
            RoomDirectory.Refusal.nameTaken(name: "Mina", room: "dev").reason
                == #"name "Mina" is already taken in room "dev"; pick another name"#)
    }

    @Test func sameNameInAnotherRoomIsAccepted() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        let other = mustJoin(directory, gateway: 2, conn: 1, name: "Mina", room: "ops")
        #expect(other?.room.name == "ops")
        #expect(directory.memberCount == 2)
        #expect(directory.roomCount == 2)
    }

    @Test func connectionJoiningTwiceIsRefused() {
        let directory = RoomDirectory()
        let first = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        #expect(
            refusal(directory.join(gateway: 1, conn: 1, name: "Other", room: "dev"))
                == .alreadyJoined)
        #expect(
            refusal(directory.join(gateway: 1, conn: 1, name: "Mina", room: "ops"))
                == .alreadyJoined)
        #expect(directory.memberCount == 1)
        #expect(directory.roomCount == 1)
        #expect(directory.rooms["ops"] == nil)
        #expect(directory.member(gateway: 1, conn: 1) === first)
        #expect(directory.rooms["dev"]?.members.keys.sorted() == ["Mina"])
    }

    @Test func leaveReturnsTheMemberAndFreesTheName() {
        let directory = RoomDirectory()
        let mina = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        mustJoin(directory, gateway: 1, conn: 2, name: "Bob", room: "dev")
        #expect(directory.leave(gateway: 1, conn: 1) === mina)
        #expect(directory.memberCount == 1)
        #expect(directory.rooms["dev"]?.members["Mina"] == nil)
        let again = mustJoin(directory, gateway: 2, conn: 9, name: "Mina", room: "dev")
        #expect(again?.gateway == 2)
        #expect(directory.rooms["dev"]?.members["Mina"] === again)
    }

    @Test func connectionMayJoinAgainAfterLeaving() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        directory.leave(gateway: 1, conn: 1)
        let again = mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "ops")
        #expect(again?.room.name == "ops")
        #expect(directory.roomCount == 1)
    }

    @Test func leaveOfAnUnknownConnectionChangesNothing() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        #expect(directory.leave(gateway: 1, conn: 2) == nil)
        #expect(directory.leave(gateway: 2, conn: 1) == nil)
        #expect(directory.memberCount == 1)
        #expect(presenceEntries(directory.rooms["dev"]) == [PresenceEntry(gateway: 1, count: 1)])
    }

    @Test func leavingTwiceReturnsNilTheSecondTime() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        #expect(directory.leave(gateway: 1, conn: 1) != nil)
        #expect(directory.leave(gateway: 1, conn: 1) == nil)
        #expect(directory.memberCount == 0)
    }

    @Test func memberIsNilAfterLeave() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        #expect(directory.member(gateway: 1, conn: 1)?.name == "Mina")
        directory.leave(gateway: 1, conn: 1)
        #expect(directory.member(gateway: 1, conn: 1) == nil)
    }

    @Test func memberOfAConnectionThatNeverJoinedIsNil() {
        let directory = RoomDirectory()
        #expect(directory.member(gateway: 1, conn: 1) == nil)
    }

    @Test func emptiedRoomIsForgotten() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        mustJoin(directory, gateway: 2, conn: 1, name: "Bob", room: "dev")
        directory.leave(gateway: 1, conn: 1)
        #expect(directory.roomCount == 1)
        directory.leave(gateway: 2, conn: 1)
        #expect(directory.roomCount == 0)
        #expect(directory.rooms["dev"] == nil)
        #expect(directory.memberCount == 0)
    }

    @Test func presenceCountsMembersOncePerGateway() {
        let directory = RoomDirectory()
        // Interleaved, so order of first appearance is what counts.
        mustJoin(directory, gateway: 1, conn: 1, name: "a", room: "dev")
        mustJoin(directory, gateway: 2, conn: 1, name: "b", room: "dev")
        mustJoin(directory, gateway: 1, conn: 2, name: "c", room: "dev")
        mustJoin(directory, gateway: 2, conn: 2, name: "d", room: "dev")
        mustJoin(directory, gateway: 1, conn: 3, name: "e", room: "dev")
        #expect(
            presenceEntries(directory.rooms["dev"])
                == [PresenceEntry(gateway: 1, count: 3), PresenceEntry(gateway: 2, count: 2)])
    }

    @Test func presenceFollowsLeaves() {
        let directory = RoomDirectory()
        for conn: ConnectionID in 1...3 {
            mustJoin(directory, gateway: 1, conn: conn, name: "g1-\(conn)", room: "dev")
        }
        for conn: ConnectionID in 1...2 {
            mustJoin(directory, gateway: 2, conn: conn, name: "g2-\(conn)", room: "dev")
        }
        directory.leave(gateway: 1, conn: 2)
        #expect(
            presenceEntries(directory.rooms["dev"])
                == [PresenceEntry(gateway: 1, count: 2), PresenceEntry(gateway: 2, count: 2)])
        directory.leave(gateway: 1, conn: 1)
        directory.leave(gateway: 1, conn: 3)
        #expect(presenceEntries(directory.rooms["dev"]) == [PresenceEntry(gateway: 2, count: 2)])
        mustJoin(directory, gateway: 1, conn: 4, name: "back", room: "dev")
        #expect(
            presenceEntries(directory.rooms["dev"])
                == [PresenceEntry(gateway: 2, count: 2), PresenceEntry(gateway: 1, count: 1)])
    }

    @Test func presenceIsPerRoom() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "a", room: "dev")
        mustJoin(directory, gateway: 2, conn: 1, name: "b", room: "ops")
        mustJoin(directory, gateway: 2, conn: 2, name: "c", room: "ops")
        #expect(presenceEntries(directory.rooms["dev"]) == [PresenceEntry(gateway: 1, count: 1)])
        #expect(presenceEntries(directory.rooms["ops"]) == [PresenceEntry(gateway: 2, count: 2)])
    }

    @Test func removeGatewayRemovesExactlyThatGatewaysMembers() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        let bob = mustJoin(directory, gateway: 2, conn: 1, name: "Bob", room: "dev")
        mustJoin(directory, gateway: 1, conn: 2, name: "Ann", room: "dev")
        mustJoin(directory, gateway: 1, conn: 3, name: "Solo", room: "ops")
        let eve = mustJoin(directory, gateway: 3, conn: 2, name: "Eve", room: "qa")

        #expect(directory.removeGateway(1).count == 3)

        #expect(directory.memberCount == 2)
        #expect(directory.member(gateway: 1, conn: 1) == nil)
        #expect(directory.member(gateway: 1, conn: 2) == nil)
        #expect(directory.member(gateway: 1, conn: 3) == nil)
        #expect(directory.member(gateway: 2, conn: 1) === bob)
        #expect(directory.member(gateway: 3, conn: 2) === eve)
        // The room stays for the other gateway's member; the one only gateway 1 used goes.
        #expect(directory.roomCount == 2)
        #expect(directory.rooms.keys.sorted() == ["dev", "qa"])
        #expect(directory.rooms["dev"]?.members.keys.sorted() == ["Bob"])
        #expect(presenceEntries(directory.rooms["dev"]) == [PresenceEntry(gateway: 2, count: 1)])
        #expect(presenceEntries(directory.rooms["qa"]) == [PresenceEntry(gateway: 3, count: 1)])
    }

    @Test func namesFreedByARemovedGatewayCanBeTakenAgain() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        mustJoin(directory, gateway: 2, conn: 1, name: "Bob", room: "dev")
        directory.removeGateway(1)
        let mina = mustJoin(directory, gateway: 3, conn: 1, name: "Mina", room: "dev")
        #expect(mina?.gateway == 3)
        #expect(
            presenceEntries(directory.rooms["dev"])
                == [PresenceEntry(gateway: 2, count: 1), PresenceEntry(gateway: 3, count: 1)])
    }

    @Test func removingAGatewayWithNoMembersRemovesNothing() {
        let directory = RoomDirectory()
        mustJoin(directory, gateway: 1, conn: 1, name: "Mina", room: "dev")
        #expect(directory.removeGateway(2).isEmpty)
        #expect(directory.memberCount == 1)
        #expect(directory.roomCount == 1)
    }

    @Test func removingTheOnlyGatewayForgetsEveryRoom() {
        let directory = RoomDirectory()
        for conn: ConnectionID in 1...50 {
            mustJoin(
                directory, gateway: 7, conn: conn, name: "user\(conn)", room: "room\(conn % 5)")
        }
        #expect(directory.roomCount == 5)
        #expect(directory.removeGateway(7).count == 50)
        #expect(directory.memberCount == 0)
        #expect(directory.roomCount == 0)
    }

    @Test func equalConnectionIDsOnDifferentGatewaysAreDifferentMembers() {
        let directory = RoomDirectory()
        let onFirst = mustJoin(directory, gateway: 1, conn: 7, name: "A", room: "dev")
        let onSecond = mustJoin(directory, gateway: 2, conn: 7, name: "B", room: "dev")
        #expect(onFirst !== onSecond)
        #expect(directory.memberCount == 2)
        #expect(directory.member(gateway: 1, conn: 7)?.name == "A")
        #expect(directory.member(gateway: 2, conn: 7)?.name == "B")
        #expect(directory.leave(gateway: 1, conn: 7) === onFirst)
        #expect(directory.member(gateway: 2, conn: 7) === onSecond)
        #expect(directory.memberCount == 1)
    }

    @Test func extremeIDsDoNotCollide() {
        let directory = RoomDirectory()
        let a = mustJoin(directory, gateway: 1, conn: .max, name: "a", room: "dev")
        let b = mustJoin(directory, gateway: 2, conn: 0, name: "b", room: "dev")
        let c = mustJoin(directory, gateway: .max, conn: .max, name: "c", room: "dev")
        let d = mustJoin(directory, gateway: 0, conn: .max, name: "d", room: "dev")
        #expect(directory.memberCount == 4)
        #expect(directory.member(gateway: 1, conn: .max) === a)
        #expect(directory.member(gateway: 2, conn: 0) === b)
        #expect(directory.member(gateway: .max, conn: .max) === c)
        #expect(directory.member(gateway: 0, conn: .max) === d)
    }
}
