/* The /verify page: check a bundle file the reader drops or picks, or the lot a Digital Link
 * URI names, against the log key the reader pins (the portal's /log/key, obtained from a
 * source they trust), and to the witnesses and quorum they pin, if any. Runs after verify.js, inlined with it in one self-contained page that
 * can be saved and used offline. */
"use strict";

(function () {
  const V = globalThis.TraceVerify;
  const lang = (document.documentElement.lang || "vi").slice(0, 2);
  const say = V.words(lang);
  const extra = {
    vi: {
      needKey: "Hãy dán khóa sổ cái (verifier key) trước: kết quả chỉ đáng tin với khóa bạn tự lấy.",
      badKey: "Đây không phải khóa sổ cái hợp lệ.",
      badWitness: "Một khóa bên chứng thực không hợp lệ.",
      badQuorum: "Số bên chứng thực tối thiểu phải là số nguyên từ 0 đến số khóa đã dán (để trống: tất cả).",
      notDigitalLink: "Đường dẫn này không phải GS1 Digital Link có số lô (…/01/GTIN/10/LÔ).",
      unreadable: "Không đọc được tệp hoặc không tải được bằng chứng.",
      lot: (b) => `Lô ${b.lot.lot} của sản phẩm ${b.lot.gtin}.`,
    },
    en: {
      needKey: "Paste the log key (verifier key) first: the result is only as good as the key you got yourself.",
      badKey: "This is not a valid log key.",
      badWitness: "A witness key is not valid.",
      badQuorum: "The quorum is a whole number from 0 to the number of witness keys given (empty: all of them).",
      notDigitalLink: "This is not a GS1 Digital Link naming a lot (…/01/GTIN/10/LOT).",
      unreadable: "The file could not be read or the evidence could not be fetched.",
      lot: (b) => `Lot ${b.lot.lot} of product ${b.lot.gtin}.`,
    },
  }[lang] || {};
  const PINNED = "traceability.logKey";
  const PINNED_WITNESSES = "traceability.witnessKeys";
  const PINNED_QUORUM = "traceability.witnessQuorum";
  const element = document.getElementById("verification");
  const line = element.querySelector("[data-verification-text]");
  const detail = element.querySelector("[data-verification-detail]");
  const keyBox = document.getElementById("log-key");
  const witnessBox = document.getElementById("witness-keys");
  const quorumBox = document.getElementById("witness-quorum");
  const fileInput = document.getElementById("bundle-file");
  const drop = document.getElementById("drop");
  const uriBox = document.getElementById("digital-link");

  function show(state, text, more) {
    element.setAttribute("data-verification", state);
    line.textContent = text;
    line.className = "browser-check " + state;
    line.hidden = false;
    detail.textContent = more || "";
  }

  try {
    const pinned = localStorage.getItem(PINNED);
    if (pinned) keyBox.value = pinned;
    const witnesses = localStorage.getItem(PINNED_WITNESSES);
    if (witnesses) witnessBox.value = witnesses;
    const quorum = localStorage.getItem(PINNED_QUORUM);
    if (quorum !== null) quorumBox.value = quorum;
  } catch (e) { /* storage may be off for a saved file: the reader pastes the key again */ }

  async function check(getBundle) {
    element.removeAttribute("data-verification");
    element.removeAttribute("data-verification-fault");
    const key = keyBox.value.trim();
    if (!key) { show("unavailable", extra.needKey); return; }
    try { await V.parseVerifierKey(key); } catch (e) { show("failed", extra.badKey); element.setAttribute("data-verification-fault", "bad_log_key"); return; }
    const witnessKeys = witnessBox.value.split("\n").map((k) => k.trim()).filter((k) => k);
    for (const text of witnessKeys) {
      try { await V.parseWitnessKey(text); } catch (e) { show("failed", extra.badWitness, text); element.setAttribute("data-verification-fault", "bad_witness_key"); return; }
    }
    // As `traceability verify --witness`: no number means every witness given must cosign.
    const quorumText = quorumBox.value.trim();
    const quorum = quorumText === "" ? witnessKeys.length : Number(quorumText);
    if (!/^[0-9]*$/.test(quorumText) || quorum > witnessKeys.length) { show("unavailable", extra.badQuorum); return; }
    const policy = quorum > 0 ? { witnesses: witnessKeys, quorum } : null;
    try {
      localStorage.setItem(PINNED, key);
      localStorage.setItem(PINNED_WITNESSES, witnessKeys.join("\n"));
      localStorage.setItem(PINNED_QUORUM, quorumText);
    } catch (e) { /* not kept: still used now */ }
    if (!(await V.ed25519Supported())) { show("unavailable", say.unavailable); return; }
    let bundle;
    try {
      bundle = await getBundle();
    } catch (e) {
      if (e instanceof SyntaxError) { show("failed", say.failed({ message: "not JSON", seq: null })); element.setAttribute("data-verification-fault", "malformed"); }
      else show("unavailable", e instanceof V.VerificationFailed ? e.message : extra.unreadable);
      return;
    }
    try {
      const result = await V.verifyBundle(bundle, key, null, policy);
      show("verified", say.verified(result), extra.lot(bundle));
    } catch (e) {
      const fault = e instanceof V.VerificationFailed ? e : { kind: "malformed", message: String(e && e.message), seq: null };
      show("failed", say.failed(fault));
      element.setAttribute("data-verification-fault", fault.kind);
    }
  }

  async function readFile(file) { return JSON.parse(await file.text()); }

  fileInput.addEventListener("change", () => { if (fileInput.files[0]) check(() => readFile(fileInput.files[0])); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) check(() => readFile(file));
  });

  // The lot a Digital Link URI names, fetched from the portal at its address.
  function evidenceUrl(text) {
    let uri;
    try { uri = new URL(text.trim(), location.href); } catch (e) { return null; }
    const found = /\/01\/(\d{14})(?:\/22\/[^/]+)?\/10\/([^/?#]+)/.exec(uri.pathname);
    if (!found || !/^https?:$/.test(uri.protocol)) return null;
    return `${uri.origin}/api/v1/evidence/lots/${found[1]}/${found[2]}`;
  }

  document.getElementById("check-link").addEventListener("click", () => {
    const url = evidenceUrl(uriBox.value);
    if (!url) { show("unavailable", extra.notDigitalLink); return; }
    check(async () => {
      const answer = await fetch(url, { headers: { accept: "application/json" }, credentials: "omit" });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      return answer.json();
    });
  });
})();
