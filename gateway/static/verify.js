/* In-browser verification of a lot's evidence bundle (docs/BUNDLE.md), with WebCrypto only.
 *
 * It checks what `traceability verify` checks: the checkpoint's C2SP signed-note signature by
 * the log key, every event's hash (SHA-256 of the RFC 8785 canonical bytes of its record), its
 * Ed25519 signature by a key of its organisation valid at its time, the lot's chain links, and
 * its RFC 9162 inclusion proof in the checkpoint's tree. No third-party code: the page's own
 * origin serves this file, and a bundle that fails any check is reported, never repaired.
 *
 * With a witness policy (C2SP cosignature/v1 verifier keys and a quorum) it also requires the
 * checkpoint to carry valid cosignatures by at least that many of those witnesses
 * (C2SP tlog-cosignature), as `traceability verify --witness KEY --quorum K` does.
 *
 * On a provenance page, the element id="verification" names the evidence (data-evidence), the
 * log key (data-log-key) and how many records the page shows (data-events: the evidence must
 * cover them all); the result goes to its data-verification attribute:
 * "verified", "failed" or "unavailable" (a browser without Ed25519, or no answer). The witness
 * policy there is the portal's own (GET /log/witnesses): trusted as much as /log/key is.
 */
"use strict";

(function (global) {
  const BUNDLE_FORMAT = "traceability-bundle/1";
  const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";
  const encoder = new TextEncoder();

  class VerificationFailed extends Error {
    constructor(kind, message, seq) {
      super(message);
      this.kind = kind;
      this.seq = seq === undefined ? null : seq;
    }
  }

  function fail(kind, message, seq) {
    throw new VerificationFailed(kind, message, seq);
  }

  // RFC 8785 (JCS). JSON.parse reads numbers as IEEE-754 doubles and JSON.stringify writes
  // strings and numbers exactly as JCS section 3.2.2 requires (it is ECMAScript's own
  // serialisation); object members are sorted by their UTF-16 code units, which is what
  // Array.prototype.sort compares.
  function canonicalJson(value) {
    if (value === null || typeof value !== "object") {
      if (typeof value === "number" && !Number.isFinite(value)) fail("malformed", "not a JSON number");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }

  function hex(bytes) {
    let out = "";
    for (const b of bytes) out += b.toString(16).padStart(2, "0");
    return out;
  }

  function fromHex(text, what) {
    if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) fail("malformed", what + " is not a hex SHA-256 hash");
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }

  function fromBase64(text, what) {
    if (typeof text !== "string" || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
      fail("malformed", what + " is not standard base64");
    }
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  const keyCache = new Map();
  async function ed25519Key(raw) {
    const id = hex(raw);
    if (!keyCache.has(id)) {
      keyCache.set(id, crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]));
    }
    return keyCache.get(id);
  }

  async function ed25519Verifies(publicKey, signature, message) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, await ed25519Key(publicKey), signature, message);
    } catch (e) {
      return false;
    }
  }

  /** Whether this browser's WebCrypto has Ed25519 (Chromium 137+, Firefox 129+, Safari 17+). */
  async function ed25519Supported() {
    if (!global.crypto || !crypto.subtle) return false;
    try {
      await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "Ed25519" }, false, ["verify"]);
      return true;
    } catch (e) {
      return false;
    }
  }

  // C2SP signed-note verifier key: name+keyid+base64(0x01 || public key).
  async function parseVerifierKey(text) {
    const parts = String(text).trim().split("+");
    if (parts.length < 3) fail("bad_log_key", "a verifier key is name+keyid+base64");
    const name = parts[0];
    const keyId = parts[1];
    const raw = fromBase64(parts.slice(2).join("+"), "the log key");
    if (!/^[0-9a-f]{8}$/.test(keyId) || raw.length !== 33 || raw[0] !== 1 || !name || /\s/.test(name)) {
      fail("bad_log_key", "not an Ed25519 note verifier key");
    }
    const derived = (await sha256(concat(encoder.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(derived) !== keyId) fail("bad_log_key", "the key id does not match the key");
    return { name, keyId: derived, publicKey: raw.slice(1), text: String(text).trim() };
  }

  // C2SP tlog-cosignature verifier key: name+keyid+base64(0x04 || public key), the key id
  // being SHA-256(name || 0x0A || 0x04 || public key)[:4].
  async function parseWitnessKey(text) {
    const trimmed = String(text).trim();
    const parts = trimmed.split("+");
    if (parts.length < 3) fail("bad_witness_key", "a witness key is name+keyid+base64");
    const name = parts[0];
    const keyId = parts[1];
    let raw;
    try { raw = fromBase64(parts.slice(2).join("+"), "the witness key"); } catch (e) { fail("bad_witness_key", e.message); }
    if (!/^[0-9a-f]{8}$/.test(keyId) || raw.length !== 33 || raw[0] !== 4 || !name || /\s/.test(name)) {
      fail("bad_witness_key", "not an Ed25519 cosignature/v1 witness key");
    }
    const derived = (await sha256(concat(encoder.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(derived) !== keyId) fail("bad_witness_key", "the witness key id does not match the key");
    return { name, keyId: derived, publicKey: raw.slice(1), text: trimmed };
  }

  // The names of the witnesses (parsed keys) with a valid cosignature/v1 line on the note: the
  // line names the witness and carries its key id, an 8-byte big-endian time, then an Ed25519
  // signature of "cosignature/v1\ntime <T>\n" followed by the checkpoint's text.
  async function cosignedBy(note, witnesses) {
    const split = note.lastIndexOf("\n\n");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split("\n");
    const names = [];
    for (const witness of witnesses) {
      for (const line of lines) {
        const fields = line.slice(2).split(" ");
        if (fields[0] !== witness.name) continue;
        const sig = fromBase64(fields[1], "a cosignature");
        if (sig.length !== 4 + 8 + 64 || !equalBytes(sig.slice(0, 4), witness.keyId)) continue;
        const time = new DataView(sig.buffer, sig.byteOffset + 4, 8).getBigUint64(0);
        if (time > 9223372036854775807n) continue;
        const message = encoder.encode("cosignature/v1\ntime " + time.toString() + "\n" + text);
        if (await ed25519Verifies(witness.publicKey, sig.slice(12), message)) { names.push(witness.name); break; }
        // A line in a trusted witness's name and key that does not verify was changed on the
        // way, or forged: that is tampering, not a witness that has not answered yet.
        fail("bad_cosignature", `the cosignature of witness ${witness.name} does not verify`);
      }
    }
    return names;
  }

  // A C2SP signed note opened with one key: signatures by other keys (witness cosignatures)
  // are ignored; a line naming our key that does not verify rejects the note.
  async function openNote(logKey, note) {
    if (typeof note !== "string" || !note.endsWith("\n")) fail("bad_checkpoint", "a signed note ends with a newline");
    const split = note.lastIndexOf("\n\n");
    if (split < 0) fail("bad_checkpoint", "a signed note has a blank line before its signatures");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split("\n");
    let signed = false;
    for (const line of lines) {
      if (!line.startsWith("\u2014 ")) fail("bad_checkpoint", "a signature line starts with an em dash");
      const fields = line.slice(2).split(" ");
      if (fields.length !== 2) fail("bad_checkpoint", "a signature line is: em dash, name, signature");
      const sig = fromBase64(fields[1], "a note signature");
      if (fields[0] !== logKey.name || sig.length < 4 || !equalBytes(sig.slice(0, 4), logKey.keyId)) continue;
      if (!(await ed25519Verifies(logKey.publicKey, sig.slice(4), encoder.encode(text)))) {
        fail("bad_checkpoint", "the log's signature on the checkpoint does not verify");
      }
      signed = true;
    }
    if (!signed) fail("bad_checkpoint", "the checkpoint carries no signature by the log key");
    const body = text.slice(0, -1).split("\n");
    if (body.length < 3 || !/^(0|[1-9][0-9]*)$/.test(body[1])) fail("bad_checkpoint", "not a checkpoint");
    const root = fromBase64(body[2], "the root hash");
    if (root.length !== 32) fail("bad_checkpoint", "the root hash is not 32 bytes");
    return { origin: body[0], size: Number(body[1]), root, note };
  }

  async function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(1), left, right));
  }

  // RFC 9162 section 2.1.3.2: the root an inclusion proof leads to, or null.
  async function rootFromInclusionProof(leaf, index, size, proof) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) return null;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  /** A C2SP tlog-proof (c2sp.org/tlog-proof@v1): index, inclusion path, checkpoint note. */
  function parseTlogProof(text) {
    if (typeof text !== "string") fail("malformed", "a tlog-proof is text");
    const lines = text.split("\n");
    if (lines[0] !== TLOG_PROOF_HEADER) fail("malformed", "not a " + TLOG_PROOF_HEADER);
    let at = 1;
    if (lines[at] && lines[at].startsWith("extra ")) at++;
    const index = /^index (0|[1-9][0-9]*)$/.exec(lines[at] || "");
    if (!index) fail("malformed", "a tlog-proof names its index");
    at++;
    const path = [];
    while (at < lines.length && lines[at] !== "") path.push(fromBase64(lines[at++], "a proof hash"));
    if (at >= lines.length) fail("malformed", "a tlog-proof ends with a checkpoint");
    return { index: Number(index[1]), path, checkpoint: lines.slice(at + 1).join("\n") };
  }

  function timeOk(key, at) {
    return key.valid_from <= at && (key.valid_to == null || at < key.valid_to) && (key.revoked_at == null || at < key.revoked_at);
  }

  /**
   * Verify a parsed bundle against the log key (the verifier key text). Resolves to a summary
   * {events, keys, checkpointSize, origin}; rejects with a VerificationFailed naming the first
   * fault (the kinds of docs/BUNDLE.md) and the event's seq. With a policy {witnesses: [witness
   * verifier key text], quorum}, fewer than quorum valid cosignatures by those witnesses is the
   * fault "not_witnessed".
   */
  async function verifyBundle(bundle, logKeyText, onProgress, policy) {
    if (!bundle || typeof bundle !== "object" || bundle.format !== BUNDLE_FORMAT) fail("malformed", "not a " + BUNDLE_FORMAT);
    const lot = bundle.lot || {};
    const log = bundle.log || {};
    const events = bundle.events;
    if (!Array.isArray(events) || !Array.isArray(bundle.keys)) fail("malformed", "a bundle lists keys and events");
    const logKey = await parseVerifierKey(logKeyText || log.verifier_key);
    const checkpoint = await openNote(logKey, log.checkpoint);
    if (checkpoint.origin !== log.origin) fail("inconsistent", "the checkpoint is of another log");
    let witnessed = null;
    if (policy && policy.quorum > 0) {
      const witnesses = [];
      for (const text of policy.witnesses || []) witnesses.push(await parseWitnessKey(text));
      witnessed = await cosignedBy(checkpoint.note, witnesses);
      if (witnessed.length < policy.quorum) {
        fail("not_witnessed", `the checkpoint is cosigned by ${witnessed.length} of the trusted witnesses, the quorum is ${policy.quorum}`);
      }
    }
    if (events.length === 0) fail("inconsistent", "the bundle holds no event");
    const keys = new Map();
    for (const key of bundle.keys) {
      const raw = fromBase64(key.public_key, "a public key");
      const id = "ed25519:" + hex((await sha256(raw)).slice(0, 16));
      keys.set(key.key_id, { ...key, raw, idMatches: id === key.key_id });
    }
    let prev = null;
    for (let i = 0; i < events.length; i++) {
      const seq = i + 1;
      const event = events[i];
      const record = event && event.record;
      if (!record || typeof record !== "object" || !Array.isArray(record.links)) fail("malformed", "event " + seq + " has no record", seq);
      const links = record.links.filter((l) => l && l.gtin === lot.gtin && l.lot === lot.lot);
      if (links.length !== 1) fail("broken_link", "the event does not link into this lot", seq);
      const digest = await sha256(encoder.encode(canonicalJson(record)));
      if (hex(digest) !== event.event_hash) fail("hash_mismatch", "the event's content does not hash to its recorded hash", seq);
      if (links[0].seq !== seq) fail("gap", "the chain skips or repeats an event", seq);
      if (links[0].prev !== prev) fail("broken_link", "the event does not follow the one before it", seq);
      const key = keys.get(record.key_id);
      if (!key) fail("unknown_key", "the event's signing key is not in the bundle", seq);
      if (!key.idMatches) fail("bad_key", "a key id does not match its key", seq);
      if (key.organization_id !== record.organization) fail("bad_signature", "the key is another organisation's", seq);
      if (!(await ed25519Verifies(key.raw, fromBase64(event.signature, "a signature"), digest))) {
        fail("bad_signature", "the event's signature does not verify", seq);
      }
      if (!timeOk(key, record.recorded_at)) fail("key_not_valid", "the key was not valid when the event was recorded", seq);
      let index = event.log_index;
      let path = (event.inclusion_proof || []).map((h) => fromHex(h, "a proof hash"));
      if (event.tlog_proof !== undefined) {
        // The per-event C2SP form must say exactly what the bundle says.
        const proof = parseTlogProof(event.tlog_proof);
        if (proof.index !== index || proof.checkpoint !== log.checkpoint || proof.path.length !== path.length || !proof.path.every((h, j) => equalBytes(h, path[j]))) {
          fail("inconsistent", "the event's tlog-proof differs from its index, proof or checkpoint", seq);
        }
      }
      if (typeof index !== "number") fail("not_in_log", "the event has no place in the log", seq);
      const leaf = await sha256(concat(Uint8Array.of(0), digest));
      const root = await rootFromInclusionProof(leaf, index, checkpoint.size, path);
      if (root === null || !equalBytes(root, checkpoint.root)) fail("not_in_log", "the event is not in the signed log", seq);
      prev = hex(digest);
      if (onProgress) onProgress(seq, events.length);
    }
    const head = bundle.head;
    if (head && (head.seq !== events.length || head.hash !== prev)) fail("truncated", "the lot's recorded last event is not the bundle's last");
    return { events: events.length, keys: keys.size, checkpointSize: checkpoint.size, origin: checkpoint.origin, logKey: logKey.text, witnessedBy: witnessed };
  }

  const WORDS = {
    vi: {
      checking: "Trình duyệt của bạn đang tự kiểm tra bằng chứng…",
      verified: (r) => `Trình duyệt của bạn đã tự kiểm tra ${r.events} bản ghi: chữ ký, chuỗi liên kết và sổ cái công khai (mốc ${r.checkpointSize}) đều khớp.` + (r.witnessedBy ? ` ${r.witnessedBy.length} bên chứng thực độc lập đã xác nhận sổ cái.` : ""),
      unwitnessed: (e) => `Những bản ghi mới nhất của lô này đang chờ các bên chứng thực độc lập: sổ cái công khai chưa được đủ số bên chứng thực độc lập xác nhận (${e.message}). Trình duyệt chưa thể xác nhận trang này; hãy thử lại sau ít phút.`,
      uncovered: (shown, r) => `Trang này có ${shown} bản ghi, nhưng bằng chứng từ sổ cái công khai mới bao gồm ${r.events} bản ghi: những bản ghi mới nhất đang chờ các bên chứng thực độc lập. Trình duyệt chưa thể xác nhận trang này; hãy thử lại sau ít phút.`,
      failed: (e) => e.kind === "not_witnessed" ? `Sổ cái công khai chưa được đủ số bên chứng thực độc lập xác nhận: ${e.message}. Không thể chắc rằng mọi người đều thấy cùng một sổ cái; đừng tin vào trang này.` : `Trình duyệt của bạn phát hiện bằng chứng không khớp${e.seq ? ` ở bản ghi thứ ${e.seq}` : ""}: ${e.message}. Đừng tin vào trang này.`,
      unavailable: "Trình duyệt này không tự kiểm tra được; kết quả trên do cổng thông tin kiểm tra.",
    },
    en: {
      checking: "Your browser is checking the evidence itself…",
      verified: (r) => `Your browser checked ${r.events} records itself: signatures, chain and public log (checkpoint ${r.checkpointSize}) all match.` + (r.witnessedBy ? ` ${r.witnessedBy.length} independent witnesses confirmed the log.` : ""),
      unwitnessed: (e) => `The newest records of this lot are awaiting the independent witnesses: not enough of them have confirmed the public log yet (${e.message}). Your browser cannot confirm this page now; try again in a few minutes.`,
      uncovered: (shown, r) => `This page shows ${shown} records, but the public log's evidence covers only ${r.events}: the newest are awaiting the independent witnesses. Your browser cannot confirm this page now; try again in a few minutes.`,
      failed: (e) => e.kind === "not_witnessed" ? `Not enough independent witnesses confirmed the public log: ${e.message}. Nothing shows everyone sees the same log; do not trust this page.` : `Your browser found evidence that does not match${e.seq ? ` at record ${e.seq}` : ""}: ${e.message}. Do not trust this page.`,
      unavailable: "This browser cannot check the evidence itself; the result above is the portal's own check.",
    },
  };

  function words(lang) {
    return WORDS[lang] || WORDS.en;
  }

  /** The portal's configured witnesses and quorum (GET /log/witnesses): null when it has
   * none, undefined when it did not answer. Trusted as /log/key is: from the same portal. */
  async function portalWitnessPolicy() {
    try {
      const answer = await fetch("/log/witnesses", { headers: { accept: "application/json" }, credentials: "omit" });
      if (!answer.ok) return undefined;
      const body = await answer.json();
      const witnesses = (body.witnesses || []).map((w) => w.key);
      if (witnesses.length === 0 || !(body.quorum > 0)) return null;
      return { witnesses, quorum: body.quorum };
    } catch (e) {
      return undefined;
    }
  }

  /** Run the check an element asks for and write the result onto it. */
  async function verifyElement(element) {
    const lang = (document.documentElement.lang || "vi").slice(0, 2);
    const say = words(lang);
    const line = element.querySelector("[data-verification-text]");
    const show = (state, text) => {
      element.setAttribute("data-verification", state);
      if (line) { line.textContent = text; line.hidden = false; line.className = "browser-check " + state; }
    };
    const started = performance.now();
    if (line) { line.textContent = say.checking; line.hidden = false; }
    if (!(await ed25519Supported())) { show("unavailable", say.unavailable); return "unavailable"; }
    let bundle;
    try {
      const answer = await fetch(element.getAttribute("data-evidence"), { headers: { accept: "application/json" }, credentials: "omit" });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      bundle = await answer.json();
    } catch (e) {
      // An answer that is not even JSON was altered on the way: a failure, not an outage.
      if (e instanceof SyntaxError) { show("failed", say.failed({ message: "malformed evidence", seq: null })); return "failed"; }
      show("unavailable", say.unavailable);
      return "unavailable";
    }
    try {
      let logKey = element.getAttribute("data-log-key");
      if (!logKey) {
        const answer = await fetch("/log/key", { credentials: "omit" });
        logKey = answer.ok ? await answer.text() : null;
      }
      if (!logKey) { show("unavailable", say.unavailable); return "unavailable"; }
      const policy = await portalWitnessPolicy();
      if (policy === undefined) { show("unavailable", say.unavailable); return "unavailable"; }
      const result = await verifyBundle(bundle, logKey, null, policy);
      // The evidence must cover every record the page shows: a portal could otherwise hand
      // out an older witnessed checkpoint and the records it holds, and leave out the rest.
      const shown = Number(element.getAttribute("data-events") || 0);
      if (result.events < shown) {
        show("unavailable", say.uncovered(shown, result));
        element.setAttribute("data-verification-fault", "not_witnessed");
        return "unavailable";
      }
      show("verified", say.verified(result));
      // Milliseconds from the start of the page's navigation to "verified", and of the check.
      element.setAttribute("data-verification-ms", String(Math.round(performance.now())));
      element.setAttribute("data-verification-check-ms", String(Math.round(performance.now() - started)));
      return "verified";
    } catch (e) {
      if (e instanceof VerificationFailed && e.kind === "not_witnessed") {
        // Witnesses cosign a moment after each append, and one may be down: too few of them
        // yet is no proof of tampering, and no proof that everyone sees this log either.
        show("unavailable", say.unwitnessed(e));
        element.setAttribute("data-verification-fault", e.kind);
        return "unavailable";
      }
      show("failed", say.failed(e instanceof VerificationFailed ? e : { message: String(e && e.message), seq: null }));
      element.setAttribute("data-verification-fault", e instanceof VerificationFailed ? e.kind : "error");
      return "failed";
    }
  }

  global.TraceVerify = { canonicalJson, verifyBundle, parseTlogProof, parseVerifierKey, parseWitnessKey, cosignedBy, rootFromInclusionProof, ed25519Supported, verifyElement, VerificationFailed, words };

  const element = global.document && document.getElementById("verification");
  if (element && element.hasAttribute("data-evidence")) verifyElement(element);
})(globalThis);
