import Redis

/// The Lua scripts the Redis engine runs on each shard. Each runs atomically
/// on its shard, which is what gives a room one order across every node:
/// offsets are handed out, lines appended to the room's stream and published
/// to its channel in one step.
///
/// Keys (prefix P, default `machat:`; a room's keys all live on its shard):
/// - `P m:<room>`  hash: `e` epoch, `s` last offset, `x` when the room's
///   TTLs were last renewed (ms; renewed at most once a second, see `turn`);
/// - `P l:<room>`  stream: one entry per room per batch, ID `<first offset>-0`,
///   fields `t` time (ms) and `m` the batch's lines as channel `M` events;
///   trimmed by ID (that is, by offset) to about the stream length;
/// - `P u:<room>`  hash: name → owner `node/generation/instance/conn`;
/// - `P c:<room>`  channel: each publish is `epoch first time\n` then events,
///   `M` (message) `J`/`L` (presence), length-prefixed (see `RoomChannelMessage`);
/// - `P n:<node>:rooms` set: rooms where the node has (had) members;
/// - `P nodes` sorted set: node → lease expiry (ms); `P node:<node>` the lease;
/// - `P d:<instance>` the highest gateway sequence stored for a gateway
///   process (dedupe of lines resent after a failure).
///
/// Keys are built inside the scripts from the prefix, which a standalone
/// Redis allows (Redis Cluster would not; shards here are independent servers).
enum RedisScripts {
    /// One loop turn's operations of one node on one shard, in order.
    ///
    /// ARGV: prefix, stream length, ttl ms, dedupe ttl ms, candidate epoch,
    /// then operations:
    /// - `J room name owner members(0|1) rejoin(0|1)` → `{'ok', epoch, last, first[, names]}`,
    ///   `{'taken'}`, or `{'wait'}` for a new name while Redis recovers (see `lease`)
    /// - `S room name owner instance sequence line` → the line's offset, `0`
    ///   for a line already stored (`sequence` not above the instance's last;
    ///   `0` means no dedupe) or `-1` when the name is no longer the owner's;
    ///   `line` is the channel's `M` event, written by the router
    /// - `T sequence line` → the same for one more line of the previous
    ///   `S`'s member (a run of one member's lines costs two arguments each)
    /// - `L room name owner` → `{'ok'}`
    /// - `C node generation` → `{'ok', removed}`: drops the node's members of older generations
    /// - `R room epoch offset` → `{epoch, last}`: a new epoch if the room's state
    ///   is missing or older than `offset` under `epoch` (Redis lost data)
    ///
    /// Per room per batch: one stream entry, one publish, the last offset
    /// stored; the TTLs are renewed and lines past the TTL deleted at most
    /// about once a second (an eighth of the TTL if that is shorter), which
    /// is what keeps a batch's cost mostly per line. Sequences are compared
    /// as decimal strings (longer is larger), not converted to numbers.
    static let turn = RedisScript(
        source: #"""
            local P, maxlen, ttl, ddttl, cand = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local nows = tostring(now)
            local renew = math.min(1000, math.floor(ttl / 8))
            local rooms, order, dedupe, out = {}, {}, {}, {}

            local function room(name)
              local r = rooms[name]
              if r then return r end
              r = {meta = P .. 'm:' .. name, log = P .. 'l:' .. name, users = P .. 'u:' .. name, events = {}, lines = {}, owners = {}}
              local state = redis.call('HMGET', r.meta, 'e', 's', 'x')
              if not state[1] then
                -- No state (new room, expired, or lost with Redis's data): a new epoch.
                r.epoch, r.seq, r.reset = cand, 0, true
                redis.call('DEL', r.log)
              else
                r.epoch, r.seq, r.renewed = state[1], tonumber(state[2]), tonumber(state[3] or '0')
              end
              rooms[name] = r
              order[#order + 1] = name
              return r
            end

            local function owner_of(r, name)
              local o = r.owners[name]
              if o == nil then
                o = redis.call('HGET', r.users, name) or false
                r.owners[name] = o
              end
              return o
            end

            local is_recovering
            local function recovering()
              if is_recovering == nil then is_recovering = redis.call('EXISTS', P .. 'recovering') == 1 end
              return is_recovering
            end

            local function parse(owner)
              local node, gen, rest = string.match(owner, '^([^/]+)/(%d+)/(.*)$')
              return node, tonumber(gen), rest
            end

            local function presence(r, kind, name)
              r.events[#r.events + 1] = kind .. nows .. ' ' .. #name .. ' ' .. name
            end

            -- The member of the last S (a T continues it): room, room name,
            -- name, owner, instance.
            local sr, sroom, sname, sowner, skey
            local i = 6
            while i <= #ARGV do
              local op = ARGV[i]
              if op == 'S' or op == 'T' then
                local seq, line
                if op == 'S' then
                  sroom = ARGV[i + 1]
                  sr, sname, sowner, skey = room(sroom), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
                  seq, line = ARGV[i + 5], ARGV[i + 6]
                  i = i + 7
                elseif sr then
                  seq, line = ARGV[i + 1], ARGV[i + 2]
                  i = i + 3
                else
                  return redis.error_reply('ERR machat T without S')
                end
                local r, name, owner = sr, sname, sowner
                local current = owner_of(r, name)
                if current == false then
                  -- Its entry is gone (its node's lease ran out while Redis or
                  -- the node was away): a line proves the member is alive.
                  redis.call('HSET', r.users, name, owner)
                  redis.call('SADD', P .. 'n:' .. parse(owner) .. ':rooms', sroom)
                  r.owners[name] = owner
                  presence(r, 'J', name)
                  current = owner
                end
                if current ~= owner then
                  out[#out + 1] = -1
                else
                  local last = dedupe[skey]
                  if last == nil then last = redis.call('GET', P .. 'd:' .. skey) or '0' end
                  if seq ~= '0' and (#seq < #last or (#seq == #last and seq <= last)) then
                    out[#out + 1] = 0
                  else
                    if seq ~= '0' then dedupe[skey] = seq end
                    r.seq = r.seq + 1
                    r.dirty = true
                    r.events[#r.events + 1] = line
                    r.lines[#r.lines + 1] = line
                    if not r.first then r.first = r.seq end
                    out[#out + 1] = r.seq
                  end
                end
              elseif op == 'J' then
                local r, name, owner, members, rejoin = room(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
                i = i + 6
                local current = owner_of(r, name)
                local ok, announce = true, true
                if not current and rejoin ~= '1' and recovering() then
                  -- Redis lost the names moments ago: a free name may still be
                  -- a member whose node has not registered it again yet.
                  ok, announce = 'wait', false
                elseif current then
                  local cn, cg, crest = parse(current)
                  local nn, ng, nrest = parse(owner)
                  if current == owner then
                    announce = false
                  elseif cn == nn and (crest == nrest or cg < ng) then
                    -- The same node after a router restart: the replayed member
                    -- itself, or a stale entry of an older generation.
                    announce = crest ~= nrest
                  else
                    ok = false
                  end
                end
                if ok == 'wait' then
                  out[#out + 1] = {'wait'}
                elseif not ok then
                  out[#out + 1] = {'taken'}
                else
                  redis.call('HSET', r.users, name, owner)
                  r.owners[name] = owner
                  redis.call('SADD', P .. 'n:' .. parse(owner) .. ':rooms', ARGV[i - 5])
                  r.dirty = true
                  if announce then presence(r, 'J', name) end
                  local first = redis.call('XRANGE', r.log, '-', '+', 'COUNT', 1)
                  local firstOffset = r.seq + 1
                  if first[1] then firstOffset = tonumber(string.match(first[1][1], '^(%d+)')) end
                  local result = {'ok', r.epoch, r.seq, firstOffset}
                  if members == '1' then result[5] = redis.call('HKEYS', r.users) end
                  out[#out + 1] = result
                end
              elseif op == 'L' then
                local r, name, owner = room(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
                i = i + 4
                if owner_of(r, name) == owner then
                  redis.call('HDEL', r.users, name)
                  r.owners[name] = false
                  presence(r, 'L', name)
                end
                out[#out + 1] = {'ok'}
              elseif op == 'C' then
                local node, gen = ARGV[i + 1], tonumber(ARGV[i + 2])
                i = i + 3
                local removed = 0
                for _, name in ipairs(redis.call('SMEMBERS', P .. 'n:' .. node .. ':rooms')) do
                  local r = room(name)
                  local users = redis.call('HGETALL', r.users)
                  for k = 1, #users, 2 do
                    local on, og = parse(users[k + 1])
                    if on == node and og < gen then
                      redis.call('HDEL', r.users, users[k])
                      r.owners[users[k]] = false
                      presence(r, 'L', users[k])
                      removed = removed + 1
                    end
                  end
                end
                out[#out + 1] = {'ok', removed}
              elseif op == 'R' then
                local r, epoch, offset = room(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3])
                i = i + 4
                if not r.reset and r.epoch == epoch and r.seq < offset then
                  -- Older than a node has seen under this epoch: offsets would
                  -- be reused. Continuity is lost; start a new epoch.
                  r.epoch, r.seq, r.reset = cand, 0, true
                  redis.call('DEL', r.log)
                end
                r.dirty = true
                out[#out + 1] = {r.epoch, r.seq}
              else
                return redis.error_reply('ERR unknown machat operation ' .. tostring(op))
              end
            end

            for key, seq in pairs(dedupe) do redis.call('SET', P .. 'd:' .. key, seq, 'PX', ddttl) end
            for _, name in ipairs(order) do
              local r = rooms[name]
              if r.first then
                -- One stream entry for the room's lines of this batch, and lines
                -- beyond the stream length go by offset (the entries' IDs).
                local floor = math.max(1, r.seq - tonumber(maxlen) + 1)
                redis.call('XADD', r.log, 'MINID', '~', floor, r.first .. '-0', 't', nows, 'm', table.concat(r.lines))
              end
              if r.reset or ((r.dirty) and not (r.renewed and now - r.renewed < renew and now >= r.renewed)) then
                redis.call('HSET', r.meta, 'e', r.epoch, 's', r.seq, 'x', nows)
                redis.call('PEXPIRE', r.meta, ttl)
                redis.call('PEXPIRE', r.log, ttl)
                -- Lines past the TTL go, a few at a time (the stream is in time order).
                for _ = 1, 64 do
                  local first = redis.call('XRANGE', r.log, '-', '+', 'COUNT', 1)
                  if not first[1] or tonumber(first[1][2][2]) + ttl > now then break end
                  redis.call('XDEL', r.log, first[1][1])
                end
              elseif r.dirty then
                redis.call('HSET', r.meta, 's', r.seq)
              end
              if #r.events > 0 then
                redis.call('PUBLISH', P .. 'c:' .. name, r.epoch .. ' ' .. (r.first or 0) .. ' ' .. nows .. '\n' .. table.concat(r.events))
              end
            end
            return out
            """#)

    /// The stream entries holding offsets `from … through` of a room: the
    /// entry that holds `from` (it may start before it), then the ones after.
    ///
    /// ARGV: prefix, room, from, through, entries → XRANGE's reply.
    static let read = RedisScript(
        source: #"""
            local log = ARGV[1] .. 'l:' .. ARGV[2]
            local first = redis.call('XREVRANGE', log, ARGV[3] .. '-0', '-', 'COUNT', 1)
            local start = '-'
            if first[1] then start = first[1][1] end
            return redis.call('XRANGE', log, start, ARGV[4] .. '-0', 'COUNT', tonumber(ARGV[5]))
            """#)

    /// The node's lease, and the cleanup of nodes whose lease ran out.
    ///
    /// ARGV: prefix, node, lease ms, registered before (0|1) → `{existed,
    /// reaped members}`; `existed` is 0 when the lease was missing (first
    /// start, or Redis lost it). A node that held a lease before and finds
    /// it gone is about to register its members again: `P recovering` is set
    /// for a lease period, during which new names wait (`J` answers `wait`)
    /// so that no newcomer takes a name a member still holds on a node that
    /// has not come back yet.
    static let lease = RedisScript(
        source: #"""
            local P, node, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local existed = redis.call('EXISTS', P .. 'node:' .. node)
            if existed == 0 and ARGV[4] == '1' then
              redis.call('SET', P .. 'recovering', '1', 'PX', lease)
            end
            redis.call('SET', P .. 'node:' .. node, '1', 'PX', lease)
            redis.call('ZADD', P .. 'nodes', now + lease, node)
            local reaped = 0
            -- A Redis that just (re)started gives every node one lease period
            -- to come back before any is declared gone.
            local uptime = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)')) or 0
            local candidates = {}
            if uptime * 1000 > lease then
              candidates = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now, 'LIMIT', 0, 8)
            end
            for _, dead in ipairs(candidates) do
              if dead ~= node then
                for _, name in ipairs(redis.call('SMEMBERS', P .. 'n:' .. dead .. ':rooms')) do
                  local users = P .. 'u:' .. name
                  local entries = redis.call('HGETALL', users)
                  local events = {}
                  for k = 1, #entries, 2 do
                    if string.sub(entries[k + 1], 1, #dead + 1) == dead .. '/' then
                      redis.call('HDEL', users, entries[k])
                      events[#events + 1] = 'L' .. now .. ' ' .. #entries[k] .. ' ' .. entries[k]
                      reaped = reaped + 1
                    end
                  end
                  if #events > 0 then
                    local epoch = redis.call('HGET', P .. 'm:' .. name, 'e') or ''
                    redis.call('PUBLISH', P .. 'c:' .. name, epoch .. ' 0 ' .. now .. '\n' .. table.concat(events))
                  end
                end
                redis.call('DEL', P .. 'n:' .. dead .. ':rooms')
                redis.call('ZREM', P .. 'nodes', dead)
              end
            end
            return {existed, reaped}
            """#)
}
