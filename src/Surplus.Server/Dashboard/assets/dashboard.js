// The Surplus dashboard: plain JavaScript, charts drawn as SVG here, everything from this origin.
// Market data is polled; a member's data follows its signal stream (read with fetch, so the key
// travels in the Authorization header and never in a URL). See docs/dashboard.md.
'use strict';

(() => {
  const MARKET_POLL_MS = 2000;
  const ADMIN_POLL_MS = 3000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const MEMBER_KEY = 'surplus.memberKey';
  const ADMIN_KEY = 'surplus.adminKey';

  const $ = (id) => document.getElementById(id);

  // ---- small helpers -------------------------------------------------------------------------

  /** An element with attributes and children (strings become text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** An SVG element with attributes. */
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function td(value, numeric) {
    return el('td', numeric ? { class: 'num' } : {}, value === null || value === undefined ? '—' : value);
  }

  /**
   * Replaces a table's rows. The tables are redrawn every few seconds, so a control that had the
   * focus gets it back on its successor (same data-focus-key), and a keyboard user is not thrown out.
   */
  function fillBody(table, rows, empty) {
    const body = table.tBodies[0];
    const active = document.activeElement;
    const focusKey = active && body.contains(active) ? active.dataset.focusKey : undefined;
    if (rows.length === 0) {
      const cols = table.tHead ? table.tHead.rows[0].cells.length : 1;
      body.replaceChildren(el('tr', {}, el('td', { colspan: cols, class: 'muted' }, empty)));
    } else {
      body.replaceChildren(...rows);
    }
    if (focusKey) {
      const again = [...body.querySelectorAll('[data-focus-key]')].find((n) => n.dataset.focusKey === focusKey);
      if (again) {
        again.focus();
        if (again.tagName === 'INPUT') again.setSelectionRange(again.value.length, again.value.length);
      }
    }
  }

  function utc(iso) {
    if (!iso) return '—';
    return iso.replace('T', ' ').replace(/:00(\.0+)?(Z|\+00:00)$/, '').replace(/(\.\d+)?(Z|\+00:00)$/, '');
  }

  function windowText(start, end) {
    return `${utc(start)} – ${utc(end)}`;
  }

  function number(value, digits) {
    if (value === null || value === undefined) return '—';
    return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 4 : digits });
  }

  function money(minor, digits, currency) {
    if (minor === null || minor === undefined) return '—';
    const major = Number(minor) / Math.pow(10, digits);
    return `${major.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${currency || ''}`.trim();
  }

  function toInputValue(date) {
    return date.toISOString().slice(0, 16);
  }

  function fromInputValue(value) {
    // The input holds a UTC wall time without a zone.
    return new Date(`${value}:00Z`);
  }

  function iso(date) {
    return date.toISOString().replace('.000Z', 'Z');
  }

  /** The problem+json detail of a failed answer, or a plain line. */
  async function problemText(response) {
    try {
      const body = await response.json();
      if (body && body.detail) return body.detail;
      if (body && body.title) return body.title;
    } catch { /* not JSON */ }
    return `the exchange answered ${response.status} ${response.statusText}`;
  }

  class ApiProblem extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: 'application/json' };
    if (opts.key) headers.Authorization = `Bearer ${opts.key}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method: opts.method || 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
      signal: opts.signal,
    });
    if (!response.ok) throw new ApiProblem(response.status, await problemText(response));
    return response.status === 204 ? null : response.json();
  }

  function showError(node, message) {
    node.textContent = message || '';
    node.hidden = !message;
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  // ---- views -----------------------------------------------------------------------------------

  const tabs = [
    { tab: $('tab-market'), view: $('view-market') },
    { tab: $('tab-member'), view: $('view-member') },
    { tab: $('tab-operator'), view: $('view-operator') },
  ];

  function showView(id) {
    for (const { tab, view } of tabs) {
      const on = view.id === id;
      view.hidden = !on;
      if (on) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
  }

  for (const { tab, view } of tabs) {
    tab.addEventListener('click', () => {
      showView(view.id);
      history.replaceState(null, '', `#${view.id.replace('view-', '')}`);
    });
  }

  // ---- public market data ----------------------------------------------------------------------

  const market = {
    list: [],
    selected: null,
    window: null,
  };

  function defaultWindow() {
    const hour = 3600 * 1000;
    const start = new Date(Math.floor(Date.now() / hour) * hour + hour);
    return { start, end: new Date(start.getTime() + hour) };
  }

  function readWindow() {
    const start = fromInputValue($('window-start').value);
    const hours = Number($('window-hours').value);
    if (Number.isNaN(start.getTime()) || !(hours > 0)) return null;
    return { start, end: new Date(start.getTime() + Math.round(hours * 3600) * 1000) };
  }

  function selectedMarket() {
    return market.list.find((m) => m.id === market.selected) || null;
  }

  async function refreshMarkets() {
    const markets = await api('/v1/markets');
    market.list = markets;
    if (!market.selected || !markets.some((m) => m.id === market.selected)) {
      market.selected = markets.length > 0 ? markets[0].id : null;
    }

    const select = $('market-select');
    const ids = markets.map((m) => m.id).join(',');
    if (select.dataset.ids !== ids) {
      select.replaceChildren(...markets.map((m) => el('option', { value: m.id }, `${m.id} (${m.unit})`)));
      select.dataset.ids = ids;
    }
    select.value = market.selected;

    const summaries = await Promise.all(markets.map((m) =>
      api(`/v1/markets/${encodeURIComponent(m.id)}/summary?start=${iso(market.window.start)}&end=${iso(market.window.end)}`).catch(() => null)));
    fillBody($('markets'), markets.map((m, i) => {
      const s = summaries[i];
      return el('tr', { 'data-market': m.id },
        el('th', { scope: 'row' }, m.id),
        td(m.unit),
        el('td', { class: m.halted ? 'status status-halted' : 'status' }, m.halted ? 'halted' : 'open'),
        td(s ? number(s.lastPrice) : null, true),
        td(s ? number(s.volume24h, 2) : null, true),
        td(s ? s.trades24h : null, true),
        td(s ? number(s.bestOffer) : null, true),
        td(s ? number(s.bestNeed) : null, true),
        el('td', {}, el('button', {
          type: 'button',
          'data-focus-key': `show-${m.id}`,
          'aria-label': `Show market ${m.id}`,
          onclick: () => { market.selected = m.id; $('market-select').value = m.id; refreshSelected(); },
        }, 'Show')));
    }), 'No markets yet.');
  }

  async function refreshSelected() {
    const m = selectedMarket();
    if (!m) return;
    $('market-name').textContent = `${m.id} (${m.unit}, ${m.currency} per ${m.unit}-hour)`;
    const status = $('market-status');
    status.textContent = m.halted ? 'halted' : 'open';
    status.className = `badge ${m.halted ? 'halted' : 'open'}`;

    const w = market.window;
    const id = encodeURIComponent(m.id);
    const interval = $('interval-select').value;
    const [book, trades, candles, capacity] = await Promise.all([
      api(`/v1/markets/${id}/book?start=${iso(w.start)}&end=${iso(w.end)}`),
      api(`/v1/markets/${id}/trades?limit=20`),
      api(`/v1/markets/${id}/candles?interval=${interval}&${candleRange(interval)}`),
      api(`/v1/markets/${id}/capacity`),
    ]);
    drawBook(book, m);
    fillBody($('trades-table'), trades.items.map((t) => el('tr', { 'data-trade': t.id },
      td(t.id), td(utc(t.at)), td(number(t.price), true), td(number(t.rate, 0), true),
      td(windowText(t.start, t.end)), td(money(t.amountMinor, m.minorUnitDigits, m.currency), true))), 'No trades yet.');
    drawCandles(candles, m);
    drawCapacity(capacity, m);
  }

  const INTERVAL_MS = { '1m': 60e3, '5m': 300e3, '15m': 900e3, '1h': 3600e3, '6h': 21600e3, '1d': 86400e3 };

  function candleRange(interval) {
    const step = INTERVAL_MS[interval];
    const end = Math.floor(Date.now() / step) * step + step;
    return `start=${iso(new Date(end - step * 48))}&end=${iso(new Date(end))}`;
  }

  /** A depth chart: cumulative rate against price, offers rising to the right, needs to the left. */
  function drawBook(book, m) {
    const chart = $('book-chart');
    $('book-caption').textContent = `Book depth for ${windowText(book.start, book.end)} (UTC)`;
    fillBody($('book-table'), [
      ...book.offers.map((l) => el('tr', { class: 'offer-level' }, td('offer'), td(number(l.price), true), td(number(l.rate, 0), true), td(l.orders, true))),
      ...book.needs.map((l) => el('tr', { class: 'need-level' }, td('need'), td(number(l.price), true), td(number(l.rate, 0), true), td(l.orders, true))),
    ], 'Nothing in the book for this window.');

    const W = 560, H = 260, L = 56, R = 12, T = 12, B = 36;
    const nodes = [];
    if (book.offers.length === 0 && book.needs.length === 0) {
      chart.replaceChildren(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No offers or needs for this window'));
      return;
    }
    const offers = [];
    let sum = 0;
    for (const l of book.offers) { sum += l.rate; offers.push([l.price, sum]); }
    const needs = [];
    sum = 0;
    for (const l of book.needs) { sum += l.rate; needs.push([l.price, sum]); }
    const prices = [...offers, ...needs].map((p) => p[0]);
    let lo = Math.min(...prices), hi = Math.max(...prices);
    const pad = (hi - lo) * 0.1 || Math.max(hi * 0.1, m.tick);
    lo = Math.max(0, lo - pad); hi += pad;
    const top = Math.max(...[...offers, ...needs].map((p) => p[1])) * 1.1;
    const x = (p) => L + ((p - lo) / (hi - lo)) * (W - L - R);
    const y = (q) => H - B - (q / top) * (H - T - B);

    nodes.push(...axes(W, H, L, R, T, B, [lo, hi].map((v) => [x(v), number(v)]), [[y(0), '0'], [y(top / 1.1), number(top / 1.1, 0)]]));
    nodes.push(svg('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, `price per ${m.unit}-hour`));

    const step = (points, toward) => {
      // From the best price outwards: the rate available at that price or better.
      let d = '';
      let prevY = y(0);
      points.forEach(([p, q], i) => {
        d += i === 0 ? `M${x(p)},${prevY}` : `H${x(p)}`;
        d += `V${y(q)}`;
        prevY = y(q);
      });
      d += `H${x(toward)}`;
      return d;
    };
    if (offers.length > 0) {
      const d = step(offers, hi);
      nodes.push(svg('path', { d: `${d}V${y(0)}Z`, class: 'offers-fill' }), svg('path', { d, class: 'offers' }));
    }
    if (needs.length > 0) {
      const d = step(needs, lo);
      nodes.push(svg('path', { d: `${d}V${y(0)}Z`, class: 'needs-fill' }), svg('path', { d, class: 'needs' }));
    }
    nodes.push(svg('text', { x: W - R, y: T + 10, 'text-anchor': 'end' }, `offers ${number(offers.length ? offers[offers.length - 1][1] : 0, 0)} · needs ${number(needs.length ? needs[needs.length - 1][1] : 0, 0)} ${m.unit}`));
    chart.replaceChildren(...nodes);
  }

  function axes(W, H, L, R, T, B, xTicks, yTicks) {
    const nodes = [
      svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }),
      svg('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }),
    ];
    for (const [px, label] of xTicks) {
      // Labels at the ends keep inside the chart.
      const anchor = px <= L + 1 ? 'start' : px >= W - R - 1 ? 'end' : 'middle';
      nodes.push(svg('text', { x: px, y: H - B + 14, 'text-anchor': anchor }, label));
    }
    for (const [py, label] of yTicks) {
      nodes.push(svg('line', { x1: L, y1: py, x2: W - R, y2: py, class: 'grid-line' }));
      nodes.push(svg('text', { x: L - 4, y: py + 4, 'text-anchor': 'end' }, label));
    }
    return nodes;
  }

  /** Candles: a wick from low to high and a body from open to close, with volume bars below. */
  function drawCandles(data, m) {
    const chart = $('candles-chart');
    $('candles-caption').textContent = `Price history per ${m.unit}-hour, ${data.interval} candles, ${utc(data.start)} – ${utc(data.end)} (UTC)`;
    const W = 560, H = 260, L = 56, R = 12, T = 12, B = 36, VOL = 40;
    if (data.candles.length === 0) {
      chart.replaceChildren(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No trades in this range'));
      return;
    }
    const from = Date.parse(data.start), to = Date.parse(data.end);
    const step = INTERVAL_MS[data.interval];
    const count = Math.max(1, Math.round((to - from) / step));
    const slotW = (W - L - R) / count;
    let lo = Math.min(...data.candles.map((c) => c.low)), hi = Math.max(...data.candles.map((c) => c.high));
    const pad = (hi - lo) * 0.1 || Math.max(hi * 0.05, m.tick);
    lo = Math.max(0, lo - pad); hi += pad;
    const priceBottom = H - B - VOL;
    const y = (p) => priceBottom - ((p - lo) / (hi - lo)) * (priceBottom - T);
    const maxVol = Math.max(...data.candles.map((c) => c.volume)) || 1;
    const nodes = axes(W, H, L, R, T, B,
      [[L, utc(data.start).slice(5)], [W - R, utc(data.end).slice(5)]],
      [[y(lo), number(lo)], [y(hi), number(hi)]]);
    for (const c of data.candles) {
      const i = Math.floor((Date.parse(c.start) - from) / step);
      const cx = L + slotW * (i + 0.5);
      const cls = c.close >= c.open ? 'up' : 'down';
      const bodyTop = y(Math.max(c.open, c.close));
      const bodyH = Math.max(1, Math.abs(y(c.open) - y(c.close)));
      const bw = Math.max(1, slotW * 0.6);
      const vh = (c.volume / maxVol) * (VOL - 4);
      nodes.push(svg('g', { class: `candle ${cls}` },
        svg('title', {}, `${utc(c.start)}: open ${c.open}, high ${c.high}, low ${c.low}, close ${c.close}, ${number(c.volume, 2)} ${m.unit}-hours in ${c.trades} trades`),
        svg('line', { x1: cx, x2: cx, y1: y(c.high), y2: y(c.low), class: cls, 'stroke-width': 1 }),
        svg('rect', { x: cx - bw / 2, y: bodyTop, width: bw, height: bodyH, class: cls }),
        svg('rect', { x: cx - bw / 2, y: H - B - vh, width: bw, height: vh, class: 'volume' })));
    }
    chart.replaceChildren(...nodes);
  }

  /** The capacity timeline: per bucket, contracted capacity below and the unsold offered capacity stacked on it. */
  function drawCapacity(data, m) {
    const chart = $('capacity-chart');
    const bucket = data.bucketSeconds >= 3600 ? `${data.bucketSeconds / 3600} h` : `${data.bucketSeconds / 60} min`;
    $('capacity-caption').textContent = `Offered and contracted ${m.unit}, ${utc(data.start)} – ${utc(data.end)} (UTC), mean per ${bucket} bucket`;
    const W = 1120, H = 240, L = 64, R = 12, T = 12, B = 36;
    const buckets = data.buckets;
    const top = Math.max(...buckets.map((b) => b.offered + b.contracted), 0);
    if (top === 0) {
      chart.replaceChildren(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'Nothing offered or contracted in this range'));
      return;
    }
    const from = Date.parse(data.start), to = Date.parse(data.end);
    const x = (t) => L + ((t - from) / (to - from)) * (W - L - R);
    const y = (q) => H - B - (q / (top * 1.1)) * (H - T - B);
    const dayTicks = [];
    for (let t = Math.ceil(from / 86400e3) * 86400e3; t <= to; t += 86400e3) dayTicks.push([x(t), new Date(t).toISOString().slice(5, 10)]);
    const nodes = axes(W, H, L, R, T, B, dayTicks, [[y(0), '0'], [y(top), number(top, 2)]]);
    for (const b of buckets) {
      const x0 = x(Date.parse(b.start)), x1 = x(Date.parse(b.end));
      const w = Math.max(0.5, x1 - x0);
      const label = `${utc(b.start)}: ${number(b.offered, 2)} offered, ${number(b.contracted, 2)} contracted`;
      if (b.contracted > 0) {
        nodes.push(svg('rect', { x: x0, y: y(b.contracted), width: w, height: y(0) - y(b.contracted), class: 'contracted' }, svg('title', {}, label)));
      }
      if (b.offered > 0) {
        nodes.push(svg('rect', { x: x0, y: y(b.contracted + b.offered), width: w, height: y(b.contracted) - y(b.contracted + b.offered), class: 'offered' }, svg('title', {}, label)));
      }
    }
    chart.replaceChildren(...nodes);
  }

  async function marketLoop() {
    // Runs for the life of the page; each round waits for the previous one, so requests never pile up.
    for (;;) {
      try {
        await refreshMarkets();
        await refreshSelected();
        showError($('market-error'), '');
      } catch (e) {
        showError($('market-error'), `Market data could not be loaded: ${e.message}`);
      }
      $('clock').textContent = `Updated ${utc(new Date().toISOString())} UTC`;
      await sleep(MARKET_POLL_MS);
    }
  }

  $('market-select').addEventListener('change', (e) => { market.selected = e.target.value; refreshSelected().catch(() => {}); });
  $('interval-select').addEventListener('change', () => refreshSelected().catch(() => {}));
  $('market-controls').addEventListener('submit', (e) => {
    e.preventDefault();
    const w = readWindow();
    if (!w) {
      showError($('market-error'), 'Give the window start as a UTC date and time and its length as a positive number of hours.');
      return;
    }
    market.window = w;
    refreshSelected().then(() => showError($('market-error'), '')).catch((err) => showError($('market-error'), `The book could not be shown: ${err.message}`));
  });

  // ---- member ----------------------------------------------------------------------------------

  const member = { key: null, abort: null, refreshTimer: null };

  function keyProblem(e, who) {
    if (e.status === 401) return `This ${who} key is not known to the exchange. Check the key and try again.`;
    if (e.status === 403) return `This key cannot be used here: ${e.message}`;
    return `Signing in failed: ${e.message}`;
  }

  async function memberSignIn(key) {
    showError($('member-error'), '');
    let me;
    try {
      me = await api('/v1/members/me', { key });
    } catch (e) {
      sessionStorage.removeItem(MEMBER_KEY);
      showError($('member-error'), keyProblem(e, 'member'));
      return;
    }
    sessionStorage.setItem(MEMBER_KEY, key);
    member.key = key;
    $('member-key').value = '';
    $('member-name').textContent = `Signed in as ${me.name} (member ${me.id})${me.suspended ? ' — suspended by the operator' : ''}`;
    $('member-data').hidden = false;
    $('member-signout').hidden = false;
    $('member-signals').replaceChildren();
    await refreshMember();
    member.abort = new AbortController();
    followSignals(key, member.abort.signal);
  }

  function memberSignOut() {
    if (member.abort) member.abort.abort();
    member.abort = null;
    member.key = null;
    sessionStorage.removeItem(MEMBER_KEY);
    $('member-data').hidden = true;
    $('member-signout').hidden = true;
    $('member-live').textContent = '';
  }

  async function refreshMember() {
    const key = member.key;
    if (!key) return;
    const [account, offers, needs, negotiations, contracts] = await Promise.all([
      api('/v1/account', { key }),
      api('/v1/offers?limit=50', { key }),
      api('/v1/needs?limit=50', { key }),
      api('/v1/negotiations?limit=50', { key }),
      api('/v1/contracts?limit=200', { key }),
    ]);
    $('account-available').textContent = money(account.availableMinor, account.minorUnitDigits, account.currency);
    $('account-held').textContent = money(account.heldMinor, account.minorUnitDigits, account.currency);
    const orders = [
      ...offers.items.map((o) => ({ kind: 'offer', id: o.id, market: o.market, status: o.status, rate: o.rate, price: o.ask, start: o.start, end: o.end, at: o.createdAt })),
      ...needs.items.map((n) => ({ kind: 'need', id: n.id, market: n.market, status: n.status, rate: n.rate, price: n.bid, start: n.start, end: n.end, at: n.createdAt })),
    ].sort((a, b) => b.at.localeCompare(a.at));
    fillBody($('member-orders'), orders.map((o) => el('tr', { 'data-order': `${o.kind}-${o.id}` },
      td(`${o.kind} ${o.id}`), td(o.market), td(o.status), td(number(o.rate, 0), true), td(number(o.price), true),
      td(o.start ? windowText(o.start, o.end) : 'recurring'))), 'No orders yet.');
    fillBody($('member-negotiations'), negotiations.items.map((n) => el('tr', {},
      td(n.id), td(n.market), td(n.role), td(n.status), td(number(n.buyerPrice), true), td(number(n.sellerPrice), true), td(utc(n.deadline)))), 'No negotiations.');
    counts($('member-contract-states'), contracts.items, contracts.next !== null);
    fillBody($('member-contracts'), contracts.items.map((c) => el('tr', { 'data-contract': c.id },
      td(c.id), td(c.market), td(c.role), td(c.status), td(number(c.rate, 0), true), td(number(c.price), true), td(windowText(c.start, c.end)))), 'No contracts yet.');
  }

  function counts(list, contracts, more) {
    const byState = new Map();
    for (const c of contracts) byState.set(c.status, (byState.get(c.status) || 0) + 1);
    const items = [...byState.entries()].sort().map(([state, n]) => el('li', { 'data-state': state }, `${state}: ${n}`));
    if (items.length === 0) items.push(el('li', {}, 'none'));
    if (more) items.push(el('li', {}, `(of the newest ${contracts.length})`));
    list.replaceChildren(...items);
  }

  function scheduleMemberRefresh() {
    clearTimeout(member.refreshTimer);
    member.refreshTimer = setTimeout(() => refreshMember().catch((e) => showError($('member-error'), `Refreshing failed: ${e.message}`)), 150);
  }

  /** Reads the member's SSE stream with fetch (EventSource cannot send the key as a header), resuming from the last id. */
  async function followSignals(key, signal) {
    let lastId = null;
    let failures = 0;
    while (!signal.aborted && failures < 100) {
      try {
        const headers = { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' };
        if (lastId !== null) headers['Last-Event-ID'] = lastId;
        const response = await fetch('/v1/events', { headers, signal, cache: 'no-store' });
        if (response.status === 401 || response.status === 403) {
          showError($('member-error'), keyProblem(new ApiProblem(response.status, await problemText(response)), 'member'));
          return;
        }
        if (!response.ok || !response.body) throw new Error(`the signal stream answered ${response.status}`);
        failures = 0;
        $('member-live').textContent = 'live';
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = parseEvent(block);
            if (event) {
              lastId = event.id;
              addSignal(event);
              scheduleMemberRefresh();
            }
          }
        }
      } catch (e) {
        if (signal.aborted) return;
      }
      failures++;
      $('member-live').textContent = 'reconnecting';
      await sleep(Math.min(30000, 1000 * failures), signal);
    }
    if (!signal.aborted) $('member-live').textContent = 'disconnected: sign in again';
  }

  function parseEvent(block) {
    let id = null, type = 'message', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data += value;
    }
    return id === null && data === '' ? null : { id, type, data };
  }

  function addSignal(event) {
    const list = $('member-signals');
    list.prepend(el('li', { 'data-signal': event.type }, `#${event.id} ${event.type}`));
    while (list.children.length > 20) list.lastElementChild.remove();
  }

  $('member-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('member-key').value.trim();
    if (!key) {
      showError($('member-error'), 'Enter your member API key (it starts as given when you joined).');
      return;
    }
    memberSignOut();
    memberSignIn(key);
  });
  $('member-signout').addEventListener('click', memberSignOut);

  // ---- operator --------------------------------------------------------------------------------

  const admin = { key: null, timer: null };

  async function adminSignIn(key) {
    showError($('admin-error'), '');
    try {
      await api('/v1/admin/ledger', { key });
    } catch (e) {
      sessionStorage.removeItem(ADMIN_KEY);
      showError($('admin-error'), keyProblem(e, 'admin'));
      return;
    }
    sessionStorage.setItem(ADMIN_KEY, key);
    admin.key = key;
    $('admin-key').value = '';
    $('admin-data').hidden = false;
    $('admin-signout').hidden = false;
    adminLoop(key);
  }

  function adminSignOut() {
    clearTimeout(admin.timer);
    admin.key = null;
    sessionStorage.removeItem(ADMIN_KEY);
    $('admin-data').hidden = true;
    $('admin-signout').hidden = true;
  }

  async function adminLoop(key) {
    if (admin.key !== key) return;
    try {
      await refreshAdmin();
    } catch (e) {
      showError($('admin-error'), `Operator data could not be loaded: ${e.message}`);
    }
    clearTimeout(admin.timer);
    admin.timer = setTimeout(() => adminLoop(key), ADMIN_POLL_MS);
  }

  async function adminAct(path, body, done) {
    try {
      await api(path, { key: admin.key, method: 'POST', body });
      $('admin-notice').textContent = done;
      showError($('admin-error'), '');
      await refreshAdmin();
      await refreshMarkets().catch(() => {});
      await refreshSelected().catch(() => {});
    } catch (e) {
      showError($('admin-error'), e.message);
    }
  }

  async function refreshAdmin() {
    const key = admin.key;
    if (!key) return;
    const [ledger, members, markets, contracts, disputes] = await Promise.all([
      api('/v1/admin/ledger', { key }),
      api('/v1/admin/members?limit=500', { key }),
      api('/v1/markets'),
      api('/v1/admin/contracts?limit=500', { key }),
      api('/v1/admin/contracts?status=disputed&limit=100', { key }),
    ]);
    const first = markets[0] || { minorUnitDigits: 2, currency: '' };
    const m = (v) => money(v, first.minorUnitDigits, first.currency);
    const rows = [
      ['Deposits', m(ledger.depositsMinor)], ['Withdrawals', m(ledger.withdrawalsMinor)], ['Inside the exchange', m(ledger.insideMinor)],
      ['Available', m(ledger.availableMinor)], ['Held', m(ledger.heldMinor)], ['Escrow', m(ledger.escrowMinor)],
      ['Collateral', m(ledger.collateralMinor)], ['Fees', m(ledger.feesMinor)],
      ['Conservation check', ledger.balanced ? 'balanced: inside = deposits − withdrawals, no account negative'
        : `NOT balanced${ledger.negativeAccounts.length ? `; negative: ${ledger.negativeAccounts.join(', ')}` : ''}`],
    ];
    $('admin-ledger').tBodies[0].replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', { class: k === 'Conservation check' ? (ledger.balanced ? '' : 'status-halted') : 'num', id: k === 'Conservation check' ? 'ledger-check' : undefined }, v))));

    fillBody($('admin-markets'), markets.map((mk) => el('tr', { 'data-market': mk.id },
      el('th', { scope: 'row' }, mk.id), td(mk.unit), td(mk.clearing),
      el('td', { class: mk.halted ? 'status status-halted' : 'status' }, mk.halted ? 'halted' : 'open'),
      el('td', { class: 'actions' }, el('button', {
        type: 'button',
        class: mk.halted ? '' : 'danger',
        'data-focus-key': `market-${mk.id}`,
        'aria-label': `${mk.halted ? 'Resume' : 'Halt'} market ${mk.id}`,
        onclick: () => adminAct(`/v1/admin/markets/${encodeURIComponent(mk.id)}/${mk.halted ? 'resume' : 'halt'}`, undefined,
          `Market ${mk.id} ${mk.halted ? 'resumed' : 'halted'}.`),
      }, mk.halted ? 'Resume' : 'Halt')))), 'No markets.');

    fillBody($('admin-members'), members.items.map((mb) => el('tr', { 'data-member': mb.id },
      td(mb.id), td(mb.name), el('td', { class: mb.suspended ? 'status status-halted' : 'status' }, mb.suspended ? 'suspended' : 'active'),
      td(mb.completedContracts, true), td(mb.failedContracts, true),
      td(mb.reliability === null || mb.reliability === undefined ? 'no record' : `${(mb.reliability * 100).toFixed(1)} %`, true),
      el('td', { class: 'actions' }, el('button', {
        type: 'button',
        class: mb.suspended ? '' : 'danger',
        'data-focus-key': `member-${mb.id}`,
        'aria-label': `${mb.suspended ? 'Resume' : 'Suspend'} member ${mb.id} ${mb.name}`,
        onclick: () => adminAct(`/v1/admin/members/${mb.id}/${mb.suspended ? 'resume' : 'suspend'}`, undefined,
          `Member ${mb.id} ${mb.suspended ? 'resumed' : 'suspended'}.`),
      }, mb.suspended ? 'Resume' : 'Suspend')))), 'No members yet.');

    counts($('admin-contract-states'), contracts.items, contracts.next !== null);

    // Redrawn only when the disputes change, so a reason being typed is left alone.
    const signature = JSON.stringify(disputes.items.map((c) => [c.id, c.history.length]));
    if ($('admin-disputes').dataset.signature === signature) return;
    $('admin-disputes').dataset.signature = signature;
    const typed = new Map([...document.querySelectorAll('#admin-disputes input[data-contract]')].map((i) => [i.dataset.contract, i.value]));
    fillBody($('admin-disputes'), disputes.items.map((c) => {
      const reasonId = `reason-${c.id}`;
      const last = c.history.length ? c.history[c.history.length - 1] : null;
      const decide = (forSeller) => {
        const reason = $(reasonId).value.trim();
        if (!reason) {
          showError($('admin-error'), `Give the reason for the decision on contract ${c.id}; both sides see it.`);
          $(reasonId).focus();
          return;
        }
        adminAct(`/v1/admin/contracts/${c.id}/resolve`, { forSeller, reason }, `Dispute ${c.id} decided for the ${forSeller ? 'seller' : 'buyer'}.`);
      };
      return el('tr', { 'data-contract': c.id },
        td(c.id), td(c.market), td(c.buyerId), td(c.sellerId), td(money(c.amountMinor, first.minorUnitDigits, first.currency), true),
        td(last && last.reason ? last.reason : '—'),
        el('td', { class: 'actions' },
          el('label', { for: reasonId, class: 'sr-only' }, `Reason for the decision on contract ${c.id}`),
          el('input', { id: reasonId, type: 'text', 'data-contract': c.id, 'data-focus-key': reasonId, placeholder: 'reason', value: typed.get(String(c.id)) || '' }),
          ' ',
          el('button', { type: 'button', 'data-focus-key': `seller-${c.id}`, onclick: () => decide(true) }, 'For seller'),
          ' ',
          el('button', { type: 'button', 'data-focus-key': `buyer-${c.id}`, onclick: () => decide(false) }, 'For buyer')));
    }), 'No disputes to decide.');
  }

  $('admin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('admin-key').value.trim();
    if (!key) {
      showError($('admin-error'), 'Enter the admin key (shown once at the first start, kept in the data folder).');
      return;
    }
    adminSignOut();
    adminSignIn(key);
  });
  $('admin-signout').addEventListener('click', adminSignOut);

  // ---- start -----------------------------------------------------------------------------------

  const w = defaultWindow();
  market.window = w;
  $('window-start').value = toInputValue(w.start);
  $('window-hours').value = '1';
  const hash = location.hash.replace('#', '');
  if (['market', 'member', 'operator'].includes(hash)) showView(`view-${hash}`);
  const savedMember = sessionStorage.getItem(MEMBER_KEY);
  if (savedMember) memberSignIn(savedMember);
  const savedAdmin = sessionStorage.getItem(ADMIN_KEY);
  if (savedAdmin) adminSignIn(savedAdmin);
  marketLoop();
})();
