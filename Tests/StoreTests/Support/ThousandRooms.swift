/// Python's sqlite3 writes 1000 rooms of 1000 lines into our schema, in
/// chunks of 250 lines packed with Python's struct (the tests' independent
/// encoder of the chunk layout). Argument: the database path.
enum ThousandRooms {
    static let script = """
        import sqlite3, struct, sys
        db = sqlite3.connect(sys.argv[1])
        db.executemany("INSERT INTO rooms VALUES(?, ?, ?, 1000, 1)", ((r, "room%04d" % r, "epoch%04d" % r) for r in range(1, 1001)))
        def line(r, o):
            text = b"line %d of room %d, with some typical chat text" % (o, r)
            return struct.pack(">QQHI", o, 1764628800000 + o, 4, len(text)) + b"Mina" + text
        db.executemany("INSERT INTO chunks VALUES(?, ?, ?, ?, 250, ?)",
            ((r, f, f + 249, 1764628800000 + f + 249, b"".join(line(r, o) for o in range(f, f + 250)))
             for r in range(1, 1001) for f in range(1, 1001, 250)))
        db.commit()
        """
}
