// MaChat browser client: joins a room over the JSON protocol on /mychat and
// keeps the conversation going across drops. Text from the network is only
// ever put into the page as text (textContent, Text nodes), never as markup.

const HISTORY = 100;            // lines asked for on a fresh join
const MAX_SHOWN = 1000;         // messages kept in the page; older ones are removed
const MAX_LINE_BYTES = 65536;   // the server's line limit
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10000;
const RESUME_REFUSALS = 8;      // a resumed join refused this often gives up
const GROUP_MS = 5 * 60 * 1000; // same author within this time: one group

const $ = (id) => document.getElementById(id);
const ui = {
  joinView: $('join-view'), joinForm: $('join-form'), name: $('name'), room: $('room'),
  joinError: $('join-error'), join: $('join'), chatView: $('chat-view'), messages: $('messages'),
  members: $('members'), memberCount: $('member-count'), membersPanel: $('members-panel'),
  membersToggle: $('members-toggle'), composer: $('composer'), message: $('message'),
  status: $('status'), roomTitle: $('room-title'), leave: $('leave'), announcer: $('announcer'),
};

const state = {
  name: '', room: '', token: '', me: '', ws: null, members: new Set(), lastError: '',
  wanted: false,  // the user wants to be in the room: reconnect after drops
  joined: false,  // a welcome arrived on the current connection
  entered: false, // the chat view is showing
  epoch: null,    // the room log's epoch from the last welcome
  lastOffset: 0,  // the last offset shown in this epoch: the resume point
  liveFrom: 0,    // offsets above this are live on this connection, not history
  attempt: 0, refusals: 0, retryTimer: 0, unread: 0,
  pinned: true,   // the list shows its end: keep it there as lines arrive
  last: null,     // {name, time} of the last message shown, for grouping
  lastDay: '',    // its local day, for day dividers
};

// ---- preferences: URL fragment first, then what this browser remembers ----

// Storage may be disabled; the page works without it.
function stored(storage, key) {
  try { return storage.getItem('machat.' + key) || ''; } catch { return ''; }
}

function store(storage, key, value) {
  try { storage.setItem('machat.' + key, value); } catch { /* not remembered */ }
}

function setFragment(fragment) {
  history.replaceState(null, '', location.pathname + location.search + (fragment ? '#' + fragment : ''));
}

// A token in the URL is taken once (kept for this tab) and removed from the address bar.
function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token !== null) {
    state.token = token;
    store(sessionStorage, 'token', token);
    params.delete('token');
    setFragment(params.toString());
  } else if (!state.token) {
    state.token = stored(sessionStorage, 'token');
  }
  return params;
}

function prefill() {
  const params = readFragment();
  ui.name.value = params.get('name') || stored(localStorage, 'name') || ui.name.value;
  ui.room.value = params.get('room') || stored(localStorage, 'room') || ui.room.value || 'lounge';
  (ui.name.value ? ui.join : ui.name).focus();
}

// ---- connection ----

function joinRequest() {
  const join = { name: state.name, room: state.room, format: 'json', history: HISTORY, presence: true };
  if (state.token) join.token = state.token;
  if (state.epoch !== null) {
    join.since = state.lastOffset;
    join.epoch = state.epoch;
  }
  return JSON.stringify(join);
}

function connect() {
  clearTimeout(state.retryTimer);
  state.retryTimer = 0;
  state.joined = false;
  state.lastError = '';
  setStatus(state.entered ? 'reconnecting' : 'connecting', state.entered ? 'Reconnecting…' : 'Connecting…');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/mychat');
  state.ws = ws;
  ws.onopen = () => ws.send(joinRequest());
  ws.onmessage = (event) => { if (ws === state.ws) receive(event.data); };
  ws.onclose = (event) => { if (ws === state.ws) closed(event); };
}

function disconnect() {
  const ws = state.ws;
  Object.assign(state, { wanted: false, ws: null, joined: false });
  clearTimeout(state.retryTimer);
  state.retryTimer = 0;
  if (ws) ws.close(1000);
}

function closed(event) {
  const wasJoined = state.joined;
  Object.assign(state, { ws: null, joined: false });
  if (!state.wanted) return;
  // 1008 before a welcome: the server refused the join (name taken, bad room, bad token).
  if (!wasJoined && event.code === 1008) {
    // A resumed join may find our name still held by the connection that just
    // dropped, until the server notices; keep trying for a while.
    if (state.epoch === null || ++state.refusals > RESUME_REFUSALS) {
      refused(state.lastError || event.reason || 'the server refused the join');
      return;
    }
  }
  scheduleRetry();
}

function scheduleRetry() {
  // 0.5 s doubling to 10 s, each delay between half and all of it (jitter).
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** state.attempt);
  const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  state.attempt += 1;
  const seconds = Math.max(1, Math.round(delay / 1000));
  const what = state.lastError || (state.entered ? 'Connection lost' : 'Cannot reach the server');
  setStatus('reconnecting', `${what}; retrying in ${seconds} s…`);
  state.retryTimer = setTimeout(connect, delay);
}

function retryNow() {
  if (state.wanted && state.retryTimer) {
    state.attempt = 0;
    connect();
  }
}

// ---- what the server sends ----

function receive(data) {
  let event;
  try { event = JSON.parse(data); } catch { return; }
  if (!event || typeof event !== 'object') return;
  switch (event.type) {
    case 'welcome': welcome(event); break;
    case 'message': message(event); break;
    case 'join': presence(event, true); break;
    case 'leave': presence(event, false); break;
    case 'error': serverError(String(event.message || 'unknown error')); break;
  }
}

function welcome(event) {
  const resumed = state.epoch !== null;
  if (event.epoch !== state.epoch) {
    // A new log: offsets start again, and anything older than what a fresh
    // join would show is out of scope.
    state.epoch = String(event.epoch);
    state.lastOffset = Math.max(0, (Number(event.offset) || 0) - HISTORY);
  }
  state.liveFrom = Math.max(state.lastOffset, Number(event.offset) || 0);
  Object.assign(state, { joined: true, attempt: 0, refusals: 0 });
  state.me = String(event.name || state.name);
  state.room = String(event.room || state.room);
  state.members = new Set(Array.isArray(event.members) ? event.members.map(String) : []);
  renderMembers();
  if (resumed && event.recovered !== true) {
    notice('Reconnected, but earlier messages may be missing.', 'warn');
  }
  setStatus('online', `Connected as ${state.me}`);
  if (state.entered) showRoom(); else enterChat();
}

function message(event) {
  const offset = event.offset;
  if (!Number.isSafeInteger(offset) || offset <= state.lastOffset) return; // seen in this epoch
  state.lastOffset = offset;
  const name = String(event.name ?? '');
  const text = String(event.text ?? '');
  const time = Number.isFinite(event.time) ? event.time : Date.now();
  ui.messages.append(...messageItems(offset, name, text, time));
  trim();
  if (state.pinned || name === state.me) scrollToEnd();
  if (offset > state.liveFrom && name !== state.me) {
    announce(`${name}: ${text}`);
    if (document.hidden) { state.unread += 1; setTitle(); }
  }
}

function presence(event, joined) {
  const name = String(event.name ?? '');
  if (!name) return;
  if (joined) state.members.add(name); else state.members.delete(name);
  renderMembers();
  const text = `${name} ${joined ? 'joined' : 'left'}`;
  notice(text, joined ? 'join' : 'leave');
  announce(text);
}

function serverError(text) {
  if (!state.joined) {
    state.lastError = text; // the close follows; see closed()
    return;
  }
  notice(text, 'error');
  announce(text);
}

// ---- views ----

function showView(chat) {
  state.entered = chat;
  ui.joinView.hidden = chat;
  for (const part of [ui.chatView, ui.leave, ui.membersToggle, ui.roomTitle]) part.hidden = !chat;
}

function enterChat() {
  showView(true);
  showRoom();
  ui.message.focus();
}

function showRoom() {
  ui.roomTitle.textContent = '#' + state.room;
  ui.message.placeholder = `Message #${state.room}`;
  setFragment('room=' + encodeURIComponent(state.room));
  setTitle();
}

function showJoin(error) {
  showView(false);
  ui.joinError.hidden = !error;
  ui.joinError.textContent = error;
  setTitle();
}

function refused(text) {
  state.wanted = false;
  state.epoch = null;
  setStatus('idle', 'Not connected');
  showJoin(text);
  // Keep the room; send the user to the field the server complained about.
  const field = /\broom\b/i.test(text) && !/\bname\b/i.test(text) ? ui.room : ui.name;
  field.focus();
  field.select();
}

function setStatus(kind, text) {
  ui.status.dataset.state = kind;
  if (ui.status.textContent !== text) ui.status.textContent = text;
}

function setTitle() {
  const base = state.entered ? `#${state.room} · MaChat` : 'MaChat';
  document.title = state.unread ? `(${state.unread}) ${base}` : base;
}

function renderMembers() {
  const names = [...state.members].sort((a, b) => a.localeCompare(b));
  const items = names.map((name) => {
    const li = tag('li', `member ${colorClass(name)}${name === state.me ? ' me' : ''}`, name);
    Object.assign(li.dataset, { testid: 'member', name });
    if (name === state.me) li.append(tag('span', 'you', ' (you)'));
    return li;
  });
  ui.members.replaceChildren(...items);
  ui.memberCount.textContent = String(names.length);
  ui.membersToggle.textContent = `Members (${names.length})`;
}

function notice(text, kind) {
  const li = tag('li', 'notice ' + kind, text);
  li.dataset.testid = 'notice';
  ui.messages.append(li);
  state.last = null;
  trim();
  if (state.pinned) scrollToEnd();
}

function announce(text) {
  ui.announcer.append(tag('p', '', text));
  while (ui.announcer.childElementCount > 5) ui.announcer.firstElementChild.remove();
}

// ---- messages ----

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });

function messageItems(offset, name, text, time) {
  const date = new Date(time);
  const day = date.toDateString();
  const items = [];
  const newDay = state.lastDay !== day;
  if (newDay) {
    const divider = tag('li', 'day', dayFormat.format(date));
    divider.setAttribute('role', 'separator');
    items.push(divider);
  }
  const grouped = !newDay && state.last && state.last.name === name && Math.abs(time - state.last.time) < GROUP_MS;
  const li = tag('li', `msg ${colorClass(name)}${name === state.me ? ' mine' : ''}${grouped ? ' cont' : ''}`);
  li.dataset.offset = String(offset);
  Object.assign(li.dataset, { testid: 'message', name });
  const meta = tag('div', 'meta');
  meta.append(tag('span', 'who', name));
  if (name === state.me) meta.append(tag('span', 'you', ' (you)'));
  const stamp = tag('time', '', timeFormat.format(date));
  stamp.dateTime = date.toISOString();
  stamp.title = date.toLocaleString();
  meta.append(' ', stamp);
  const body = tag('div', 'text');
  appendText(body, text);
  li.append(meta, body);
  items.push(li);
  Object.assign(state, { last: { name, time }, lastDay: day });
  return items;
}

// http(s) URLs become links; everything else stays a Text node.
const LINK = /\bhttps?:\/\/[^\s<>"]+/gi;

function appendText(parent, text) {
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const url = trimURL(match[0]);
    const href = safeHref(url);
    if (!href) continue;
    parent.append(text.slice(at, match.index));
    const a = tag('a', '', url);
    Object.assign(a, { href, target: '_blank', rel: 'noopener noreferrer' });
    parent.append(a);
    at = match.index + url.length;
  }
  parent.append(text.slice(at));
}

// Drops trailing punctuation, and a closing bracket that has no opening one.
function trimURL(url) {
  for (;;) {
    const last = url.slice(-1);
    if ('.,;:!?\'*'.includes(last)) url = url.slice(0, -1);
    else if (last === ')' && url.split('(').length <= url.split(')').length - 1) url = url.slice(0, -1);
    else return url;
  }
}

function safeHref(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : '';
  } catch {
    return '';
  }
}

function trim() {
  let extra = ui.messages.childElementCount - MAX_SHOWN;
  while (extra-- > 0) ui.messages.firstElementChild.remove();
}

function atBottom() {
  const { scrollHeight, scrollTop, clientHeight } = ui.messages;
  return scrollHeight - scrollTop - clientHeight < 48;
}

function scrollToEnd() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
  state.pinned = true;
}

function tag(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Eight name colours by a hash of the name (FNV-1a); classes, as the CSP allows no inline style.
function colorClass(name) {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return 'c' + ((hash >>> 0) % 8);
}

// ---- user actions ----

function start(name, room) {
  disconnect();
  if (state.room !== room || state.entered === false) {
    ui.messages.replaceChildren();
    state.last = null;
    state.lastDay = '';
  }
  Object.assign(state, { name, room, epoch: null, lastOffset: 0, attempt: 0, refusals: 0, wanted: true });
  store(localStorage, 'name', name);
  store(localStorage, 'room', room);
  connect();
}

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.name.value.trim();
  const room = ui.room.value.trim();
  if (!name || !room) {
    showJoin(name ? 'Please enter a room.' : 'Please enter a name.');
    (name ? ui.room : ui.name).focus();
    return;
  }
  ui.joinError.hidden = true;
  start(name, room);
});

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.message.value;
  if (!text.trim()) return;
  if (!state.joined || !state.ws) {
    notice('Not connected; your message was kept. It can be sent once reconnected.', 'error');
    return;
  }
  if (new TextEncoder().encode(text).length > MAX_LINE_BYTES) {
    notice(`Message too long (over ${MAX_LINE_BYTES} bytes); it was not sent.`, 'error');
    return;
  }
  state.ws.send(text);
  ui.message.value = '';
});

ui.leave.addEventListener('click', () => {
  disconnect();
  state.epoch = null;
  setStatus('idle', 'Not connected');
  showJoin('');
  ui.name.value = state.name;
  ui.room.value = state.room;
  ui.join.focus();
});

function toggleMembers(open) {
  ui.membersPanel.classList.toggle('open', open);
  ui.membersToggle.setAttribute('aria-expanded', String(open));
}

ui.membersToggle.addEventListener('click', () => toggleMembers(!ui.membersPanel.classList.contains('open')));
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && ui.membersPanel.classList.contains('open')) {
    toggleMembers(false);
    ui.membersToggle.focus();
  }
});

window.addEventListener('hashchange', () => {
  const params = readFragment();
  const room = params.get('room');
  if (room && state.wanted && room !== state.room) {
    start(state.name, room);
  } else if (!state.wanted) {
    prefill();
  }
});

ui.messages.addEventListener('scroll', () => { state.pinned = atBottom(); }, { passive: true });
// A resize (phone keyboard, rotation) must not leave a pinned list above its end.
new ResizeObserver(() => { if (state.pinned) scrollToEnd(); }).observe(ui.messages);

window.addEventListener('online', retryNow);
document.addEventListener('visibilitychange', () => {
  if (document.hidden) return;
  state.unread = 0;
  setTitle();
  retryNow();
});

prefill();
